/**
 * `npm run sql -- "SELECT …"`: runs one SQL statement against the warehouse of
 * a config (default config/cohort-sync.yaml, or --config FILE) and prints the
 * rows as a table. For exploring the audit tables of the demo warehouse, whatever
 * the warehouse type, without installing its own client.
 */
import { sql } from 'kysely';
import { formatTable } from '../src/cli/format-table.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../src/config/load-config.js';
import { withWarehouse } from '../src/sync/run-syncs.js';

const args = process.argv.slice(2);
const at = args.indexOf('--config');
const file = at >= 0 ? args.splice(at, 2)[1] : DEFAULT_CONFIG_FILE;
const statement = args.join(' ').trim();
if (!statement || !file) {
  process.stderr.write('usage: npm run sql -- [--config FILE] "SELECT …"\n');
  process.exit(2);
}
// The demo config's endpoint and keys are not used here; only the warehouse is opened.
const env = {
  BRAZE_REST_ENDPOINT: 'http://127.0.0.1',
  BRAZE_PARTNER_API_KEY: 'unused',
  BRAZE_DATA_IMPORT_KEY: 'unused',
  ...process.env,
};
const config = await loadConfig(file, env);
const rows = await withWarehouse(config, (source) => source.execute(sql.raw(statement).compile(source.db)));
const columns = rows[0] ? Object.keys(rows[0]) : [];
const show = (value: unknown): string | number => {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString().replace('T', ' ').slice(0, 19);
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
};
process.stdout.write(
  `${
    rows.length === 0
      ? '(no rows)'
      : formatTable(
          columns,
          rows.map((row) => columns.map((c) => show(row[c]))),
        )
  }\n`,
);
process.stdout.write(rows.length === 0 ? '' : `(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
