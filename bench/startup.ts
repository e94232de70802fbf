/**
 * `npm run bench:startup`: how long the CLI takes to start, against the 200 ms target of `--version` and
 * `validate` (docs/benchmarks.md, "Start-up"). Each command runs as a fresh process, `--runs` times after
 * two warm-up runs (the file cache warm, as for a user's second invocation); `node -e 0` is timed the same
 * way, as the part no code of ours can save. Wall time is from spawn to exit.
 */
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runChild } from './run-child.js';

const TARGET_MS = 200;
const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'cohort-sync.js');

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
// The example config (DuckDB, two scheduled syncs reading query files), as `npm run demo` uses it.
const env = {
  ...process.env,
  BRAZE_REST_ENDPOINT: 'http://127.0.0.1:4010',
  BRAZE_PARTNER_API_KEY: 'bench-partner-key',
  BRAZE_DATA_IMPORT_KEY: 'bench-data-import-key',
};

const commands: { name: string; args: string[]; target?: number }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'cohort-sync --version', args: [bin, '--version'], target: TARGET_MS },
  {
    name: 'cohort-sync validate',
    args: [bin, 'validate', '--config', path.join(root, 'config', 'cohort-sync.yaml')],
    target: TARGET_MS,
  },
];

/** Wall times of `runs` fresh processes, sorted, after two that are not counted. */
async function time(args: string[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const run = await runChild(args, env);
    if (run.exitCode !== 0) throw new Error(`${args.join(' ')} exited with ${run.exitCode}: ${run.stdout}`);
    if (i >= 2) times.push(run.wallMs);
  }
  return times.sort((a, b) => a - b);
}

const at = (sorted: number[], share: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))]!;
const ms = (value: number) => `${value.toFixed(0)} ms`.padStart(7);

const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
process.stdout.write(
  `cohort-sync start-up, ${new Date().toISOString()}: ${cpus().length} CPUs, Node ${process.version}, ${runs} runs each\n` +
    `load average (1, 5, 15 min) before ${load()}\n\n` +
    `${'command'.padEnd(24)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)}   target\n`,
);
for (const command of commands) {
  const sorted = await time(command.args);
  const median = at(sorted, 0.5);
  const verdict =
    command.target === undefined
      ? ''
      : `≤ ${command.target} ms: ${median <= command.target ? 'met' : 'NOT met'}`;
  process.stdout.write(
    `${command.name.padEnd(24)} ${ms(median)} ${ms(at(sorted, 0.9))} ${ms(sorted[0]!)}   ${verdict}\n`,
  );
}
process.stdout.write(`\nload average after ${load()}\n`);
