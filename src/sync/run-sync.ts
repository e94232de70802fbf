import type { SyncConfig } from '../config/types.js';
import { WarehouseError, errorMessage } from '../errors.js';
import { meteringQueries } from '../sources/query-usage.js';
import { labellingStatements } from '../sources/statement-labels.js';
import type { SyncLock } from '../state/sync-lock.js';
import { computeChanges, limitChanges, readChangeSet, type ComputedChanges } from './compute-changes.js';
import { deliverChanges, deliveryCounts, prepareDestination } from './deliver-changes.js';
import { dryRun } from './dry-run.js';
import { auditedCounts, deliveryVerdict, finishRun } from './finish-run.js';
import { guardrailViolation } from './guardrails.js';
import { lockSync, startRun } from './lock-sync.js';
import { RunContext, namingSync } from './run-context.js';
import { stageSavedPlan } from './saved-plan.js';
import { snapshotBefore, stageAudience, type SnapshotBefore } from './stage-audience.js';
import type { RunSyncOptions, SyncEnvironment } from './sync-environment.js';
import { emptyReport, type AudienceCounts, type ChangeCounts, type SyncReport } from './sync-report.js';

/** The audience staged and diffed (or a saved plan staged): everything the guardrails and delivery need. */
interface Staged {
  audience: AudienceCounts;
  snapshot: SnapshotBefore;
  diff: ComputedChanges;
  counts: ChangeCounts;
}

/**
 * One run of one sync, in the order of DESIGN.md: lock → audit: run started → stage the audience →
 * diff against the snapshot → guardrails → deliver (prepare the destination, send batches, apply
 * confirmed batches to the snapshot) → finish and audit → unlock. Each step is a function of its own
 * with a typed result; this file puts them in order and assembles the report from their results.
 */
export async function runSync(
  env: SyncEnvironment,
  sync: SyncConfig,
  options: RunSyncOptions = {},
): Promise<SyncReport> {
  const run = new RunContext(env, sync, options);
  return meteringQueries(run.usage, () => labellingStatements(run.labels, () => lockedRun(run))).catch(
    (error: unknown) => {
      // Warehouse errors outside a named step (the lock, the audit) still name the sync; bugs stay as they are.
      throw error instanceof WarehouseError && error.sync === undefined
        ? namingSync(error, sync, 'the run')
        : error;
    },
  );
}

async function lockedRun(run: RunContext): Promise<SyncReport> {
  const lock = await lockSync(run);
  if ('skipped' in lock) return lock.skipped;
  try {
    await startRun(run, lock.held);
    return await stagedRun(run, lock.held);
  } finally {
    await lock.held?.release();
  }
}

/** Whatever fails after the start, the run is recorded with what it had established, and its stage tables dropped. */
async function stagedRun(run: RunContext, lock: SyncLock | undefined): Promise<SyncReport> {
  const known = { report: emptyReport(run.sync.name, run.runId, 'running', run.dryRun) };
  try {
    return await steps(run, lock, known);
  } catch (error) {
    run.log.error(errorMessage(error));
    return await finishRun(run, { ...known.report, status: 'failed', error: errorMessage(error) }).catch(
      (recordError: unknown) => {
        // The warehouse could not take the failure either (connection gone): report the cause, not the echo.
        run.log.error(`could not record the failure in sync_runs: ${errorMessage(recordError)}`);
        throw error;
      },
    );
  } finally {
    await run
      .dropStageTables()
      .catch((error: unknown) => run.log.warn(`could not drop stage tables: ${errorMessage(error)}`));
  }
}

/** The steps after the start; `known.report` holds what each step established, for a failure's record. */
async function steps(
  run: RunContext,
  lock: SyncLock | undefined,
  known: { report: SyncReport },
): Promise<SyncReport> {
  const staged = run.options.planId ? await stagePlan(run, run.options.planId) : await stageAndDiff(run);
  known.report = {
    ...known.report,
    ...staged.audience,
    snapshot_size: staged.snapshot.size,
    ...staged.counts,
  };
  await diffComputed(run, known.report);
  const toSend = await limitChanges(run, staged.diff.changes);
  const violation = run.options.allowMassRemoval ? undefined : guardrails(run, known.report);
  if (violation)
    return finishRun(run, { ...known.report, status: 'aborted', error: `guardrail: ${violation}` });
  if (run.dryRun) return finishRun(run, { ...known.report, ...(await dryRun(run)), status: 'succeeded' });

  const prepared = await prepareDestination(run, toSend, staged.snapshot);
  known.report = { ...known.report, ...prepared.attempts };
  if (prepared.failure) throw prepared.failure;
  if (toSend.toAdd + toSend.toRemove === 0) return finishRun(run, { ...known.report, status: 'succeeded' });
  const { resendsUnconfirmed } = staged.diff;
  const delivery = await deliverChanges(run, {
    changes: toSend,
    resendsUnconfirmed,
    prepared: prepared.attempts,
    lockLost: lock?.lost,
  });
  known.report = { ...known.report, ...deliveryCounts(delivery, prepared.attempts) };
  const verdict = deliveryVerdict(delivery, known.report, lock?.lost);
  return finishRun(run, { ...known.report, ...verdict }, { delivery, resendsUnconfirmed });
}

/** Stage the audience, then diff it against the snapshot. */
async function stageAndDiff(run: RunContext): Promise<Staged> {
  const audience = await stageAudience(run);
  const snapshot = await snapshotBefore(run);
  const diff = await computeChanges(run, snapshot);
  const counts = { to_add: diff.changes.toAdd, to_remove: diff.changes.toRemove };
  run.log.info(
    `${audience.query_rows} rows, ${audience.members} members; ${counts.to_add} to add, ${counts.to_remove} to remove`,
  );
  return { audience, snapshot, diff, counts };
}

/** `run --plan-id`: the saved plan's changes instead of a fresh diff, refused if the snapshot moved since. */
async function stagePlan(run: RunContext, planId: string): Promise<Staged> {
  run.log.info(`applying saved plan ${planId}`);
  const snapshot = await snapshotBefore(run);
  const { to_add, to_remove, ...audience } = await stageSavedPlan(run, planId);
  const diff = { changes: await readChangeSet(run), resendsUnconfirmed: false };
  return { audience, snapshot, diff, counts: { to_add, to_remove } };
}

/** Records the audience and change counts in sync_runs and tells the observers. */
async function diffComputed(run: RunContext, report: SyncReport): Promise<void> {
  await run.audit.update(run.runId, auditedCounts(report));
  const { query_rows, members, to_add, to_remove } = report;
  const { sync, runId } = run;
  run.emit({ type: 'diff_computed', sync: sync.name, run_id: runId, query_rows, members, to_add, to_remove });
}

/** Invariant 5: why the run must stop before sending anything, if it must. */
function guardrails(run: RunContext, report: SyncReport): string | undefined {
  const { query_rows: queryRows, members, snapshot_size: snapshotSize, to_remove: toRemove } = report;
  return guardrailViolation({ queryRows, members, snapshotSize, toRemove }, run.sync.guardrails);
}
