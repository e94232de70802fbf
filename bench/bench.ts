/**
 * `npm run bench`: cohort-sync against audiences of millions, with the
 * references it is judged by timed in the same run (see docs/benchmarks.md).
 *
 * For each size: a fresh DuckDB file with the audience; the floor program
 * (stream the query, post 1,000-id requests, no state); the CLI's initial
 * sync; churn; the warehouse's own EXCEPT diff, alone and with its delta
 * posted; the CLI's incremental sync; the CLI's run with nothing changed.
 * The CLI and the floor run as child processes against the emulator, which
 * runs in a third process, all over loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  AUDIENCE_QUERY,
  FLOOR_INITIAL_QUERY,
  churnAudience,
  createAudience,
  exceptQuery,
} from './audience.js';
import { startEmulatorProcess } from './emulator-process.js';
import { formatReport, type SizeResult } from './format-report.js';
import { runChild, type ChildRun } from './run-child.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'cohort-sync.js');
const floor = path.join(import.meta.dirname, 'floor.js');
const SCHEMA = 'cohort_sync';
const SYNC = 'bench';
const PARTNER = 'bench';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,5000000' },
    concurrency: { type: 'string', default: '4' },
    churn: { type: 'string', default: '1' },
    'memory-limit': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map((s) => Number(s.replace(/_/g, '')));
const concurrency = Number(values.concurrency);
const churn = Number(values.churn);
const env = {
  ...process.env,
  BRAZE_PARTNER_API_KEY: 'bench-partner-key',
  BRAZE_DATA_IMPORT_KEY: 'bench-data-import-key',
};

function configYaml(url: string): string {
  const limit = values['memory-limit'] ? `, memory_limit: ${values['memory-limit']}` : '';
  return `warehouse: { type: duckdb, path: ./warehouse.duckdb${limit} }
state: { schema: ${SCHEMA} }
braze:
  rest_endpoint: ${url}
  partner: ${PARTNER}
  partner_api_key: \${BRAZE_PARTNER_API_KEY}
  data_import_key: \${BRAZE_DATA_IMPORT_KEY}
  concurrency: ${concurrency}
syncs:
  - name: ${SYNC}
    cohort_name: Bench audience
    query: ${AUDIENCE_QUERY}
`;
}

function check(run: ChildRun, what: string): ChildRun {
  if (run.exitCode !== 0) {
    const tail = run.stderr
      .slice(-10)
      .map((l) => l.line)
      .join('\n');
    throw new Error(`${what} exited with code ${run.exitCode}\n${run.stdout}${tail}`);
  }
  return run;
}

function log(line: string): void {
  process.stderr.write(
    `[bench ${new Date().toISOString().slice(11, 19)} load ${loadavg()[0]!.toFixed(2)}] ${line}\n`,
  );
}

const emulator = await startEmulatorProcess(bin, PARTNER, env);
const results: SizeResult[] = [];
const started = new Date();
const loadBefore = loadavg();
try {
  for (const size of sizes) {
    const dir = await mkdtemp(path.join(tmpdir(), `cohort-sync-bench-${size}-`));
    const db = path.join(dir, 'warehouse.duckdb');
    const config = path.join(dir, 'cohort-sync.yaml');
    try {
      await emulator.reset();
      await writeFile(config, configYaml(emulator.url));
      log(`${size}: generating the audience`);
      await createAudience(db, size);
      const cli = async (what: string) =>
        check(await runChild([bin, 'run', '--config', config], env), `cohort-sync run (${what})`);
      const floorRun = async (what: string, query: string, send: boolean) => {
        const args = [floor, '--db', db, '--query', query, '--concurrency', String(concurrency)];
        if (send) args.push('--url', emulator.url, '--partner', PARTNER, '--cohort', `floor-${size}`);
        return check(await runChild(args, env), `floor (${what})`);
      };

      log(`${size}: floor, initial`);
      const floorInitial = await floorRun('initial', FLOOR_INITIAL_QUERY, true);
      log(`${size}: cohort-sync, initial`);
      const initial = await cli('initial');
      log(`${size}: churn ${churn}%`);
      await churnAudience(db, churn, 1);
      log(`${size}: warehouse EXCEPT, alone and with the delta sent`);
      const diffOnly = await floorRun('diff', exceptQuery(SCHEMA, SYNC), false);
      const diffSend = await floorRun('diff and send', exceptQuery(SCHEMA, SYNC), true);
      log(`${size}: cohort-sync, incremental`);
      const incremental = await cli('incremental');
      log(`${size}: warehouse EXCEPT with nothing changed`);
      const noChangeDiff = await floorRun('no change', exceptQuery(SCHEMA, SYNC), false);
      log(`${size}: cohort-sync, nothing changed`);
      const noChange = await cli('no change');
      results.push({ size, floorInitial, initial, diffOnly, diffSend, incremental, noChangeDiff, noChange });
    } finally {
      if (!values.keep) await rm(dir, { recursive: true, force: true });
      else log(`kept ${dir}`);
    }
  }
} finally {
  await emulator.stop();
}
process.stdout.write(
  formatReport(results, {
    started,
    loadBefore,
    loadAfter: loadavg(),
    cpus: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    concurrency,
    churn,
  }),
);
