import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestRecord } from '../../src/emulator/emulator-server.js';
import { atEnd } from './cleanup.js';
import type { World } from './world.js';

/**
 * What a fault scenario measured, for docs/reliability.md. When the environment variable
 * COHORT_SYNC_RELIABILITY_REPORT names a directory, each test file writes its scenarios there as one
 * JSON file when it ends (`npm run reliability` sets it and sums the files up); otherwise nothing is kept.
 */
export interface ScenarioFigures {
  file: string;
  engine: string;
  scenario: string;
  /** Runs made, killed ones (audited `abandoned`) and the converging one included. */
  runs: number;
  /** Runs until Braze held exactly the query result, counted from the first run of the scenario. */
  runs_to_converge: number;
  /** Runs by final status. */
  statuses: Record<string, number>;
  /** HTTP attempts and retries as the runs audited them in sync_runs. */
  requests: number;
  retries: number;
  /** Changes the runs confirmed, and changes recorded as failed. */
  changes_sent: number;
  changes_failed: number;
  /** Requests Braze (the emulator) answered or dropped, killed runs' included. */
  braze_requests: number;
  /** Faults the emulator injected, by kind (its request log), and requests it delayed. */
  faults: Record<string, number>;
  delayed_requests: number;
  /** Processes killed or signalled, by signal. */
  signals: Record<string, number>;
}

const REPORT_DIR = process.env.COHORT_SYNC_RELIABILITY_REPORT;
const recorded: ScenarioFigures[] = [];

if (REPORT_DIR) {
  atEnd(() => {
    if (recorded.length === 0) return;
    const dir = path.resolve(REPORT_DIR);
    mkdirSync(dir, { recursive: true });
    const name = `${path.basename(recorded[0]!.file, '.test.ts')}-${process.pid}.json`;
    writeFileSync(path.join(dir, name), `${JSON.stringify(recorded, null, 2)}\n`);
  });
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** A run's outcome as a SyncReport or its sync_runs row gives it (numbers may come back as text or bigint). */
export interface RunOutcome {
  status: string;
  requests: unknown;
  retries: unknown;
  added: unknown;
  removed: unknown;
  failed: unknown;
}

/**
 * Keeps the figures of one scenario: its runs, the emulator's log of the requests it answered during
 * the scenario, after how many runs Braze held the query result, and the signals sent to CLI processes.
 */
export function recordScenario(input: {
  file: string;
  engine: string;
  scenario: string;
  runs: readonly RunOutcome[];
  answered: readonly RequestRecord[];
  runsToConverge: number;
  signals?: readonly NodeJS.Signals[];
}): void {
  if (!REPORT_DIR) return;
  const { runs, answered } = input;
  const sum = (pick: (run: RunOutcome) => unknown) => runs.reduce((total, r) => total + Number(pick(r)), 0);
  recorded.push({
    file: path.basename(input.file),
    engine: input.engine,
    scenario: input.scenario,
    runs: runs.length,
    runs_to_converge: input.runsToConverge,
    statuses: countBy(runs.map((r) => r.status)),
    requests: sum((r) => r.requests),
    retries: sum((r) => r.retries),
    changes_sent: sum((r) => Number(r.added) + Number(r.removed)),
    changes_failed: sum((r) => r.failed),
    braze_requests: answered.length,
    faults: countBy(answered.flatMap((r) => (r.fault === undefined ? [] : [r.fault]))),
    delayed_requests: answered.filter((r) => r.latency_ms !== undefined).length,
    signals: countBy(input.signals ?? []),
  });
}

/** The requests the emulator answered after the one numbered `afterSeq` (see `lastSeq`). */
export function answeredSince(history: readonly RequestRecord[], afterSeq: number): RequestRecord[] {
  return history.filter((r) => r.seq > afterSeq);
}

/** The number of the last request the emulator answered, 0 before the first. */
export function lastSeq(history: readonly RequestRecord[]): number {
  return history.at(-1)?.seq ?? 0;
}

/** Ids of the runs of `sync` audited so far, to tell a scenario's runs from earlier ones. */
export async function auditedRunIds(world: World, sync: string): Promise<Set<string>> {
  const rows = await world.query<{ run_id: string }>(
    `SELECT run_id FROM $state.sync_runs WHERE sync_name = '${sync}'`,
  );
  return new Set(rows.map((row) => row.run_id));
}

/** The sync_runs rows of `sync` that are not in `earlier`: the runs a scenario made, killed ones included. */
export async function auditedRunsSince(
  world: World,
  sync: string,
  earlier: ReadonlySet<string>,
): Promise<RunOutcome[]> {
  const rows = await world.query(
    `SELECT run_id, status, requests, retries, added, removed, failed FROM $state.sync_runs WHERE sync_name = '${sync}'`,
  );
  return rows
    .filter((row) => !earlier.has(String(row.run_id)))
    .map(({ status, requests, retries, added, removed, failed }) => ({
      status: String(status),
      requests,
      retries,
      added,
      removed,
      failed,
    }));
}
