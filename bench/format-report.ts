import type { ChildRun } from './run-child.js';

export interface SizeResult {
  warehouse: string;
  size: number;
  floorInitial: ChildRun;
  initial: ChildRun;
  diffOnly: ChildRun;
  diffSend: ChildRun;
  incremental: ChildRun;
  noChangeDiff: ChildRun;
  noChange: ChildRun;
}

export interface Machine {
  started: Date;
  loadBefore: number[];
  loadAfter: number[];
  cpus: number;
  memoryGiB: number;
  node: string;
  concurrency: number;
  churn: number;
  /** Lines printed under the table (a warehouse skipped, and why). */
  notes: string[];
}

const TARGETS = { initial: 1.3, incremental: 2, noChange5MSeconds: 10, rssMiB: 200, rssGrowth: 1.2 };

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const count = (n: number) => n.toLocaleString('en-US');
const cpu = (run: ChildRun, reference: ChildRun) => `${seconds(run.cpuMs)} / ${seconds(reference.cpuMs)}`;
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
const peak = (r: SizeResult) =>
  Math.max(r.initial.peakRssBytes, r.incremental.peakRssBytes, r.noChange.peakRssBytes);

/** Changes the CLI reported on its summary line (`+N −M`). */
function changes(run: ChildRun): number {
  const match = /\+(\d+) [−-](\d+)/.exec(run.stdout);
  return match ? Number(match[1]) + Number(match[2]) : 0;
}

/** Where the CLI's time went, from the arrival times of its progress lines on stderr. */
function steps(run: ChildRun): string {
  const at = (pattern: RegExp) => run.stderr.find((l) => pattern.test(l.line))?.atMs;
  const marks: [string, number | undefined][] = [
    ['start', at(/staging query result/)],
    ['stage+diff', at(/to add, \d+ to remove/)],
    ['record', at(/sending \d+ changes/)],
    ['send+apply', at(/(succeeded|partial|failed): \+/)],
  ];
  let last = 0;
  const parts: string[] = [];
  for (const [name, mark] of marks) {
    if (mark === undefined) continue;
    parts.push(`${name} ${seconds(mark - last)}`);
    last = mark;
  }
  parts.push(`exit ${seconds(run.wallMs - last)}`);
  return parts.join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The bench's printed result: the machine, one table of runs and references, the verdicts. */
export function formatReport(results: SizeResult[], machine: Machine): string {
  const rows = [
    [
      'warehouse',
      'members',
      'run',
      'cohort-sync',
      'ids/s',
      'reference',
      'ratio',
      'target',
      'peak RSS',
      'CPU (CLI / ref)',
    ],
  ];
  const verdicts: string[] = [];
  for (const r of results) {
    const n = count(r.size);
    const w = r.warehouse;
    const label = `${w} ${n}`;
    const initialRatio = r.initial.wallMs / r.floorInitial.wallMs;
    const incrementalRatio = r.incremental.wallMs / r.diffSend.wallMs;
    const delta = changes(r.incremental);
    rows.push(
      [
        w,
        n,
        'initial',
        seconds(r.initial.wallMs),
        count(Math.round(changes(r.initial) / (r.initial.wallMs / 1000))),
        `floor ${seconds(r.floorInitial.wallMs)}`,
        `${initialRatio.toFixed(2)}×`,
        `≤ ${TARGETS.initial}×`,
        mib(r.initial.peakRssBytes),
        cpu(r.initial, r.floorInitial),
      ],
      [
        w,
        n,
        `${machine.churn}% churn (${count(delta)} changes)`,
        seconds(r.incremental.wallMs),
        count(Math.round(delta / (r.incremental.wallMs / 1000))),
        `EXCEPT ${seconds(r.diffOnly.wallMs)}, +send ${seconds(r.diffSend.wallMs)}`,
        `${incrementalRatio.toFixed(2)}×`,
        `≤ ${TARGETS.incremental}×`,
        mib(r.incremental.peakRssBytes),
        cpu(r.incremental, r.diffSend),
      ],
      [
        w,
        n,
        'no change',
        seconds(r.noChange.wallMs),
        '-',
        `EXCEPT ${seconds(r.noChangeDiff.wallMs)}`,
        `${(r.noChange.wallMs / r.noChangeDiff.wallMs).toFixed(2)}×`,
        r.size >= 5_000_000 ? `< ${TARGETS.noChange5MSeconds} s` : '-',
        mib(r.noChange.peakRssBytes),
        cpu(r.noChange, r.noChangeDiff),
      ],
    );
    verdicts.push(
      `${label}: initial ${initialRatio.toFixed(2)}× the floor (≤ ${TARGETS.initial}×): ${verdict(initialRatio <= TARGETS.initial)}`,
      `${label}: incremental ${incrementalRatio.toFixed(2)}× EXCEPT + send (≤ ${TARGETS.incremental}×): ${verdict(incrementalRatio <= TARGETS.incremental)}`,
      `${label}: peak RSS ${mib(peak(r))} (< ${TARGETS.rssMiB} MiB): ${verdict(peak(r) < TARGETS.rssMiB * 2 ** 20)}`,
    );
    if (r.size >= 5_000_000)
      verdicts.push(
        `${label}: no-change run ${seconds(r.noChange.wallMs)} (< ${TARGETS.noChange5MSeconds} s): ${verdict(r.noChange.wallMs < TARGETS.noChange5MSeconds * 1000)}`,
      );
  }
  for (const w of new Set(results.map((r) => r.warehouse))) {
    const runs = results.filter((r) => r.warehouse === w);
    if (runs.length < 2) continue;
    const first = runs[0]!;
    const last = runs[runs.length - 1]!;
    const growth = peak(last) / peak(first);
    verdicts.push(
      `${w}: peak RSS ${count(last.size)} / ${count(first.size)}: ${growth.toFixed(2)}× (≤ ${TARGETS.rssGrowth}×): ${verdict(growth <= TARGETS.rssGrowth)}`,
    );
  }
  const stepLines = results.flatMap((r) =>
    (['initial', 'incremental', 'noChange'] as const).map(
      (run) => `${r.warehouse} ${count(r.size)} ${run}: ${steps(r[run])}`,
    ),
  );
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  return [
    `cohort-sync bench, ${machine.started.toISOString()}: ${machine.cpus} CPUs, ${machine.memoryGiB.toFixed(1)} GiB, Node ${machine.node}, braze.concurrency ${machine.concurrency}`,
    `load average (1, 5, 15 min) before ${load(machine.loadBefore)}, after ${load(machine.loadAfter)}`,
    '',
    table(rows),
    ...machine.notes,
    '',
    ...verdicts,
    '',
    'where the CLI spent its time (from its progress lines):',
    ...stepLines,
    '',
  ].join('\n');
}
