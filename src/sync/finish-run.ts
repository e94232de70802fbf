import { CohortSyncError, errorMessage } from '../errors.js';
import type { RunProgress } from '../state/run-audit.js';
import type { RunStatus } from '../state/state-database.js';
import { applyCheckpoint } from './apply-checkpoint.js';
import type { Delivery } from './deliver-changes.js';
import type { RunContext } from './run-context.js';
import type { SyncReport } from './sync-report.js';

/** How a run ended: its status and, unless it succeeded, why. */
export interface Verdict {
  status: RunStatus;
  error: string | null;
}

/** The verdict on a delivery: what was confirmed, what failed, and why sending stopped early if it did. */
export function deliveryVerdict(
  delivery: Delivery,
  report: SyncReport,
  lockLost: AbortSignal | undefined,
): Verdict {
  const { summary, checkpoints } = delivery;
  const { totals } = checkpoints;
  const unsent = report.to_add + report.to_remove - totals.added - totals.removed - totals.failed;
  const someConfirmed: RunStatus = totals.confirmedBatches > 0 ? 'partial' : 'failed';
  if (lockLost?.aborted)
    return {
      status: someConfirmed,
      error: `lost the sync lock (${errorMessage(lockLost.reason)}); stopped with ${unsent} changes not sent, the next run sends them`,
    };
  if (summary.stoppedBy === 'interrupted')
    return {
      status: 'interrupted',
      error: `interrupted; ${unsent} changes not sent, the next run sends them`,
    };
  if (summary.stoppedBy || totals.failedBatches > 0) {
    const cause = summary.stoppedBy
      ? errorMessage(summary.stoppedBy)
      : `${totals.failedBatches} batch(es) failed after retries: ${checkpoints.firstFailure}`;
    return {
      status: someConfirmed,
      error: unsent > 0 ? `${cause}; stopped with ${unsent} changes not sent` : cause,
    };
  }
  if (totals.rejected > 0)
    return {
      status: 'partial',
      error: `${totals.rejected} change(s) rejected: ${checkpoints.firstRejection}`,
    };
  return { status: 'succeeded', error: null };
}

/**
 * Finish and audit: the run's final sync_runs write (in the same transaction as the last confirmed
 * batches, when there are any), its summary line, and the `run_finished` event. Returns the report.
 */
export async function finishRun(
  run: RunContext,
  outcome: SyncReport,
  pending?: { delivery: Delivery; resendsUnconfirmed: boolean },
): Promise<SyncReport> {
  const error = outcome.error === null ? null : run.redact(outcome.error);
  const report: SyncReport = { ...outcome, error };
  const { requests, retries } = report;
  const final: RunProgress = { ...auditedCounts(report), status: report.status, error, requests, retries };
  if (pending) {
    const { added, removed, failed } = report;
    await applyCheckpoint(
      run,
      pending.delivery.pending,
      { added, removed, failed, ...final },
      { resendsUnconfirmed: pending.resendsUnconfirmed, final: true },
    );
  } else {
    // An UPDATE to absolute values: safe to repeat once when the connection it used had just died.
    const withUsage = { ...final, ...run.usageProgress() };
    await run.audit.update(run.runId, withUsage, true).catch((error: unknown) => {
      if (!(error instanceof CohortSyncError && error.retryable)) throw error;
      return run.audit.update(run.runId, withUsage, true);
    });
  }
  const line =
    `${report.status}: +${report.added} −${report.removed}` +
    (report.failed ? `, ${report.failed} failed` : '');
  if (report.status === 'succeeded') run.log.info(line);
  else run.log.warn(error ? `${line} — ${error}` : line);
  run.emit({ type: 'run_finished', report: { ...report } });
  return report;
}

/** The columns of sync_runs that the audience and change counts of a report go to. */
export function auditedCounts(report: SyncReport): RunProgress {
  return {
    query_rows: report.query_rows,
    skipped_null: report.skipped_null,
    skipped_duplicate: report.skipped_duplicate,
    skipped_invalid: report.skipped_invalid,
    skip_reasons: report.skip_reasons,
    to_add: report.to_add,
    to_remove: report.to_remove,
  };
}
