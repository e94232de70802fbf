/**
 * `npm run reliability`: runs the fault suites (Braze fault storms, crash safety) with
 * COHORT_SYNC_RELIABILITY_REPORT set, so each scenario records what it measured
 * (test/support/reliability-figures.ts), then sums the figures up as the tables of
 * docs/reliability.md. Writes reports/reliability/summary.md and prints it.
 * Arguments after `--` go to vitest (e.g. `-t storm`).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ScenarioFigures } from '../test/support/reliability-figures.js';

const SUITES = [
  'test/sync/faults-and-guardrails.test.ts',
  'test/sync/transient-faults.test.ts',
  'test/cli/crash-safety.test.ts',
];
const dir = path.resolve('reports/reliability');

rmSync(dir, { recursive: true, force: true });
const vitest = spawnSync('npx', ['vitest', 'run', ...SUITES, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, COHORT_SYNC_RELIABILITY_REPORT: dir },
});
if (vitest.status !== 0) {
  process.stderr.write('\nthe fault suites failed: no figures are reported from a failing run\n');
  process.exit(vitest.status ?? 1);
}

const figures: ScenarioFigures[] = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .flatMap((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as ScenarioFigures[]);

function add(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
  return into;
}
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key} ${value}`)
    .join(', ') || '–';

interface Row {
  scenario: string;
  engine: string;
  times: number;
  runs: number;
  converge: number[];
  statuses: Record<string, number>;
  braze: number;
  retries: number;
  faults: Record<string, number>;
}
const rows = new Map<string, Row>();
for (const f of figures) {
  const key = `${f.file}\u0000${f.scenario}\u0000${f.engine}`;
  const row = rows.get(key) ?? {
    scenario: f.scenario,
    engine: f.engine,
    times: 0,
    runs: 0,
    converge: [],
    statuses: {},
    braze: 0,
    retries: 0,
    faults: {},
  };
  row.times++;
  row.runs += f.runs;
  row.converge.push(f.runs_to_converge);
  add(row.statuses, f.statuses);
  row.braze += f.braze_requests;
  row.retries += f.retries;
  add(row.faults, { ...f.faults, ...(f.delayed_requests ? { delayed: f.delayed_requests } : {}) });
  add(row.faults, f.signals);
  rows.set(key, row);
}

const header =
  '| scenario | engine | times | runs | runs to converge (max) | run statuses | Braze requests | retries | faults injected |\n' +
  '| --- | --- | --: | --: | --: | --- | --: | --: | --- |';
const lines = [...rows.values()].map(
  (r) =>
    `| ${r.scenario} | ${r.engine} | ${r.times} | ${r.runs} | ${Math.max(...r.converge)} | ${list(r.statuses)} | ${r.braze} | ${r.retries} | ${list(r.faults)} |`,
);
const totalFaults = figures.reduce<Record<string, number>>(
  (all, f) => add(all, { ...f.faults, ...f.signals }),
  {},
);
const totals = [
  `scenarios: ${figures.length}`,
  `runs: ${figures.reduce((t, f) => t + f.runs, 0)}`,
  `Braze requests: ${figures.reduce((t, f) => t + f.braze_requests, 0)}`,
  `retries: ${figures.reduce((t, f) => t + f.retries, 0)}`,
  `changes confirmed: ${figures.reduce((t, f) => t + f.changes_sent, 0)}`,
  `changes recorded failed: ${figures.reduce((t, f) => t + f.changes_failed, 0)}`,
  `faults and signals injected: ${Object.values(totalFaults).reduce((t, n) => t + n, 0)} (${list(totalFaults)})`,
  `most runs any scenario needed to converge: ${Math.max(...figures.map((f) => f.runs_to_converge))}`,
];
const summary = `${header}\n${lines.join('\n')}\n\n${totals.map((t) => `- ${t}`).join('\n')}\n`;
writeFileSync(path.join(dir, 'summary.md'), summary);
process.stdout.write(`\n${summary}\nwritten to ${path.relative(process.cwd(), dir)}/summary.md\n`);
