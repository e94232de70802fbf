/**
 * The demo behind `npm run demo`: a DuckDB warehouse with generated
 * customers, the local Braze emulator, two syncs, a change in the data, a
 * second sync that sends only the delta, and the audit trail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { DuckDbSource } from '../src/sources/duckdb/duckdb-source.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'cohort-sync.js');
const config = path.join(root, 'config', 'cohort-sync.yaml');
const warehouseFile = path.join(root, 'data', 'demo', 'warehouse.duckdb');
const env = {
  ...process.env,
  BRAZE_PARTNER_API_KEY: process.env.BRAZE_PARTNER_API_KEY ?? 'demo-partner-key',
  BRAZE_DATA_IMPORT_KEY: process.env.BRAZE_DATA_IMPORT_KEY ?? 'demo-data-import-key',
};

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

async function warehouse(...statements: string[]): Promise<void> {
  const source = await DuckDbSource.open({ path: warehouseFile });
  try {
    for (const statement of statements) await source.execute(sql.raw(statement).compile(source.db));
  } finally {
    await source.close();
  }
}

function cli(...args: string[]): Promise<number> {
  process.stdout.write(`$ cohort-sync ${args.join(' ')}\n`);
  return new Promise((resolve) => {
    spawn(process.execPath, [bin, ...args, '--config', config], { env, stdio: 'inherit' }).on(
      'exit',
      (code) => resolve(code ?? 1),
    );
  });
}

async function startEmulator(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, 'emulator', '--port', '0', '--partner', 'cohort-sync'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
    if (url) {
      process.stdout.write(`${line}\n`);
      return { url, child };
    }
  }
  throw new Error('the emulator did not start');
}

async function main(): Promise<void> {
  step('1. A DuckDB warehouse with 50,000 generated customers');
  await rm(path.dirname(warehouseFile), { recursive: true, force: true });
  await warehouse(
    'CREATE SCHEMA shop',
    `CREATE TABLE shop.customers AS
     SELECT i AS customer_id,
       CASE WHEN i % 10 < 7 THEN 'cust-' || i END AS external_id,
       CASE WHEN i % 10 IN (7, 8) THEN 'device-' || substr(md5(CAST(i AS VARCHAR)), 1, 16) END AS device_id,
       CASE WHEN i % 10 = 9 THEN 'user' || i || '@example.com' END AS email,
       CAST(hash(i) % 1000 AS DOUBLE) / 10 AS lifetime_value_score,
       CURRENT_DATE - CAST(hash(i * 7) % 180 AS INTEGER) AS last_order_date
     FROM range(1, 50001) AS r(i)`,
  );
  process.stdout.write(`warehouse: ${path.relative(root, warehouseFile)} (table shop.customers)\n`);

  step('2. The local Braze emulator');
  const emulator = await startEmulator();
  Object.assign(env, { BRAZE_REST_ENDPOINT: emulator.url });
  try {
    step('3. Check the config, preview, and sync');
    let code = await cli('validate');
    code ||= await cli('plan');
    code ||= await cli('run');

    step('4. The data changes: scores move, some anonymous devices log in');
    await warehouse(
      'UPDATE shop.customers SET lifetime_value_score = lifetime_value_score + 12 WHERE hash(customer_id * 3) % 20 = 0',
      'UPDATE shop.customers SET lifetime_value_score = lifetime_value_score - 12 WHERE hash(customer_id * 5) % 25 = 0',
      "UPDATE shop.customers SET external_id = 'cust-' || customer_id WHERE device_id IS NOT NULL AND customer_id % 50 = 7",
    );

    step('5. Sync again: only the delta is sent');
    code ||= await cli('run');
    step('6. A run with nothing to do sends nothing');
    code ||= await cli('run', '--quiet');

    step('7. The audit trail, from sync_runs');
    code ||= await cli('status');

    const response = await fetch(`${emulator.url}/_emulator/cohorts`);
    const { cohorts } = (await response.json()) as { cohorts: { name: string; size: number }[] };
    step('8. What the emulated Braze workspace now holds');
    for (const cohort of cohorts) process.stdout.write(`${cohort.name}: ${cohort.size} members\n`);
    process.stdout.write(
      `\nThe audit tables are in ${path.relative(root, warehouseFile)}, schema cohort_sync (sync_runs, sync_changes, cohort_snapshot).\n`,
    );
    process.exitCode = code;
  } finally {
    emulator.child.kill('SIGTERM');
  }
}

await main();
