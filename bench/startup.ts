/**
 * `npm run bench:startup`: how long the CLI takes to start, against the 200 ms target of `--version` and
 * `validate` (docs/benchmarks.md, "Start-up"). Each command runs as a fresh process, `--runs` times after
 * two warm-up rounds (the file cache warm, as for a user's second invocation); `node -e 0` is timed the
 * same way, as the part no code of ours can save. `--baseline DIR` also times the CLI of another checkout
 * (built), interleaved round by round with this one, so that both see the same machine. Wall time is from
 * spawn to exit.
 */
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runChild } from './run-child.js';

const TARGET_MS = 200;
const WARM_UP = 2;
const root = path.resolve(import.meta.dirname, '..');

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, baseline: { type: 'string' } },
});
const runs = Number(values.runs);
// The example config (DuckDB, two scheduled syncs reading query files), as `npm run demo` uses it.
const config = path.join(root, 'config', 'cohort-sync.yaml');
const env = {
  ...process.env,
  BRAZE_REST_ENDPOINT: 'http://127.0.0.1:4010',
  BRAZE_PARTNER_API_KEY: 'bench-partner-key',
  BRAZE_DATA_IMPORT_KEY: 'bench-data-import-key',
};

interface Timed {
  name: string;
  args: string[];
  target?: number;
  times: number[];
  /** CPU time (user + system) of each run; NaN without GNU time. */
  cpu: number[];
}

function cliCommands(checkout: string, label: string): Timed[] {
  const bin = path.join(checkout, 'bin', 'cohort-sync.js');
  return [
    { name: `${label}--version`, args: [bin, '--version'], target: TARGET_MS, times: [], cpu: [] },
    {
      name: `${label}validate`,
      args: [bin, 'validate', '--config', config],
      target: TARGET_MS,
      times: [],
      cpu: [],
    },
  ];
}

const commands: Timed[] = [
  { name: 'node -e 0', args: ['-e', '0'], times: [], cpu: [] },
  ...cliCommands(root, 'cohort-sync '),
  ...(values.baseline === undefined ? [] : cliCommands(path.resolve(values.baseline), 'baseline ')),
];

const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
process.stdout.write(
  `cohort-sync start-up, ${new Date().toISOString()}: ${cpus().length} CPUs, Node ${process.version}, ${runs} runs each\n` +
    `load average (1, 5, 15 min) before ${load()}\n\n`,
);
for (let round = 0; round < runs + WARM_UP; round++) {
  for (const command of commands) {
    const run = await runChild(command.args, env);
    if (run.exitCode !== 0)
      throw new Error(`${command.name} exited with ${run.exitCode}: ${run.stdout}${run.stderr.at(-1)?.line}`);
    if (round < WARM_UP) continue;
    command.times.push(run.wallMs);
    command.cpu.push(run.cpuMs);
  }
}

const at = (sorted: number[], share: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))]!;
const ms = (value: number) => `${value.toFixed(0)} ms`.padStart(7);
process.stdout.write(
  `${'command'.padEnd(24)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)} ${'CPU'.padStart(7)}   target (median)\n`,
);
for (const command of commands) {
  const sorted = [...command.times].sort((a, b) => a - b);
  const median = at(sorted, 0.5);
  const cpu = at(
    [...command.cpu].sort((a, b) => a - b),
    0.5,
  );
  const verdict =
    command.target === undefined
      ? ''
      : `≤ ${command.target} ms: ${median <= command.target ? 'met' : 'NOT met'}`;
  process.stdout.write(
    `${command.name.padEnd(24)} ${ms(median)} ${ms(at(sorted, 0.9))} ${ms(sorted[0]!)} ${ms(cpu)}   ${verdict}\n`,
  );
}
process.stdout.write(`\nload average after ${load()}\n`);
