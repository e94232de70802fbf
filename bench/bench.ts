/**
 * `npm run bench`: cohort-sync against audiences of millions, with the
 * references it is judged by timed in the same run (see docs/benchmarks.md).
 *
 * For each warehouse and size: a fresh audience; the floor program (stream
 * the query, post 1,000-id requests, no state); the CLI's initial sync;
 * churn; the warehouse's own EXCEPT diff, alone and with its delta posted;
 * the CLI's incremental sync; the warehouse's EXCEPT and the CLI's run with
 * nothing changed. The CLI and the floor run as child processes against the
 * emulator, which runs in a third process, all over loopback.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  duckdbWarehouse,
  exceptQuery,
  floorInitialQuery,
  postgresReachable,
  postgresWarehouse,
  type BenchWarehouse,
} from './audience.js';
import { startEmulatorProcess } from './emulator-process.js';
import { formatReport, type SizeResult } from './format-report.js';
import { runChild, type ChildRun } from './run-child.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'cohort-sync.js');
const floor = path.join(import.meta.dirname, 'floor.js');
const SYNC = 'bench';
const PARTNER = 'bench';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,5000000' },
    warehouses: { type: 'string', default: 'duckdb,postgres' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    concurrency: { type: 'string', default: '4' },
    churn: { type: 'string', default: '1' },
    'memory-limit': { type: 'string', default: '256MB' },
    'latency-ms': { type: 'string', default: '0' },
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

function configYaml(warehouse: BenchWarehouse, url: string): string {
  return `warehouse: ${warehouse.yaml}
state: { schema: ${warehouse.stateSchema} }
braze:
  rest_endpoint: ${url}
  partner: ${PARTNER}
  partner_api_key: \${BRAZE_PARTNER_API_KEY}
  data_import_key: \${BRAZE_DATA_IMPORT_KEY}
  concurrency: ${concurrency}
syncs:
  - name: ${SYNC}
    cohort_name: Bench audience
    query: ${warehouse.audienceQuery}
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
  const time = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${time} load ${loadavg()[0]!.toFixed(2)}] ${line}\n`);
}

async function benchOne(warehouse: BenchWarehouse, size: number, dir: string, emulatorUrl: string) {
  const config = path.join(dir, `cohort-sync-${warehouse.name}-${size}.yaml`);
  await writeFile(config, configYaml(warehouse, emulatorUrl));
  const what = `${warehouse.name} ${size}`;
  log(`${what}: generating the audience`);
  await warehouse.create(size);
  const cli = async (step: string) =>
    check(await runChild([bin, 'run', '--config', config], env), `cohort-sync run (${what}, ${step})`);
  const floorRun = async (step: string, query: string, send: boolean) => {
    const args = [floor, ...warehouse.floorArgs, '--query', query, '--concurrency', String(concurrency)];
    if (send)
      args.push('--url', emulatorUrl, '--partner', PARTNER, '--cohort', `floor-${warehouse.name}-${size}`);
    return check(await runChild(args, env), `floor (${what}, ${step})`);
  };

  log(`${what}: floor, initial`);
  const floorInitial = await floorRun('initial', floorInitialQuery(warehouse), true);
  log(`${what}: cohort-sync, initial`);
  const initial = await cli('initial');
  log(`${what}: churn ${churn}%`);
  await warehouse.churn(churn, 1);
  log(`${what}: warehouse EXCEPT, alone and with the delta sent`);
  const diffOnly = await floorRun('diff', exceptQuery(warehouse, SYNC), false);
  const diffSend = await floorRun('diff and send', exceptQuery(warehouse, SYNC), true);
  log(`${what}: cohort-sync, incremental`);
  const incremental = await cli('incremental');
  log(`${what}: warehouse EXCEPT with nothing changed`);
  const noChangeDiff = await floorRun('no change', exceptQuery(warehouse, SYNC), false);
  log(`${what}: cohort-sync, nothing changed`);
  const noChange = await cli('no change');
  return { initial, floorInitial, diffOnly, diffSend, incremental, noChangeDiff, noChange };
}

const warehouses = values.warehouses.split(',');
const skipped: string[] = [];
if (warehouses.includes('postgres') && !(await postgresReachable(values.postgres))) {
  skipped.push(`postgres: no server answers at ${values.postgres}; skipped`);
  warehouses.splice(warehouses.indexOf('postgres'), 1);
}
const started = new Date();
const loadBefore = loadavg();
const machine = () => ({
  started,
  loadBefore,
  loadAfter: loadavg(),
  cpus: cpus().length,
  memoryGiB: totalmem() / 2 ** 30,
  node: process.version,
  concurrency,
  churn,
  notes: [
    ...skipped,
    ...(Number(values['latency-ms']) > 0
      ? [`emulator latency ${values['latency-ms']} ms per membership request`]
      : []),
    `DuckDB memory_limit: ${values['memory-limit'] || "DuckDB's default"}`,
  ],
});

const emulator = await startEmulatorProcess(bin, PARTNER, env);
const results: SizeResult[] = [];
try {
  for (const name of warehouses) {
    for (const size of sizes) {
      const dir = await mkdtemp(path.join(tmpdir(), `cohort-sync-bench-`));
      const warehouse =
        name === 'postgres'
          ? postgresWarehouse(values.postgres, randomUUID().replace(/-/g, '').slice(0, 8))
          : duckdbWarehouse(path.join(dir, 'warehouse.duckdb'), values['memory-limit'] || undefined);
      try {
        await emulator.reset();
        // Latency per membership request: 58 ms with 4 in flight is Braze's own ceiling (~69 requests/s).
        const latency = Number(values['latency-ms']);
        if (latency > 0) await emulator.faults({ latency_ms: latency, membership_only: true });
        results.push({ warehouse: name, size, ...(await benchOne(warehouse, size, dir, emulator.url)) });
        // The table so far, so that a long run that fails later still leaves its figures.
        process.stderr.write(formatReport(results, machine()));
      } finally {
        await warehouse.drop();
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await emulator.stop();
}
process.stdout.write(formatReport(results, machine()));
