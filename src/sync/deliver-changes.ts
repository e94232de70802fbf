import type { Attempts } from '../destinations/destination.js';
import { errorMessage, retriesOf } from '../errors.js';
import { recordChangesStatement } from '../state/sync-changes-statements.js';
import { applyCheckpoint } from './apply-checkpoint.js';
import { Checkpoints, type PendingBatches } from './checkpoints.js';
import type { ChangeSet } from './compute-changes.js';
import { outgoingBatches } from './outgoing-batches.js';
import type { RunContext } from './run-context.js';
import { sendBatches, type SendSummary } from './send-batches.js';
import type { SnapshotBefore } from './stage-audience.js';
import type { DeliveryCounts } from './sync-report.js';

/** How preparing the destination went: what it cost, and why it failed if it did. */
export interface Prepared {
  attempts: Attempts;
  failure?: Error;
}

/** What sending did, for the verdict and the final transaction. */
export interface Delivery {
  summary: SendSummary;
  checkpoints: Checkpoints;
  /** Confirmed and failed batches no checkpoint has written yet. */
  pending: PendingBatches;
}

/** Make the destination ready (create or rename the cohort); its attempts count even when it fails. */
export async function prepareDestination(
  run: RunContext,
  changes: ChangeSet,
  snapshot: SnapshotBefore,
): Promise<Prepared> {
  try {
    const attempts = await run.env.destination.prepare({
      changes: changes.toAdd + changes.toRemove,
      lastDelivered: snapshot.lastDelivered,
    });
    return { attempts };
  } catch (error) {
    const retries = retriesOf(error);
    const failure = error instanceof Error ? error : new Error(errorMessage(error));
    return { attempts: { requests: retries + 1, retries }, failure };
  }
}

/**
 * Deliver: record the run's changes in sync_changes, stream them in batch order to the destination with
 * bounded concurrency, and write what it confirmed to the snapshot every `checkpointEvery` batches; the
 * snapshot never gets ahead of the destination (invariant 1). Sending stops when the run is stopped or
 * its lock is lost; the batches still pending go to the run's final transaction.
 */
export async function deliverChanges(
  run: RunContext,
  input: {
    changes: ChangeSet;
    resendsUnconfirmed: boolean;
    prepared: Attempts;
    /** Aborted if the sync lock is lost mid-run: sending stops, another run may have started. */
    lockLost: AbortSignal | undefined;
  },
): Promise<Delivery> {
  const { env, options } = run;
  const total = input.changes.toAdd + input.changes.toRemove;
  await run.source.execute(recordChangesStatement({ ...run.changeInput(), runId: run.runId }));
  const checkpoints = new Checkpoints(
    (batches, totals) =>
      applyCheckpoint(
        run,
        batches,
        { added: totals.added, removed: totals.removed, failed: totals.failed, ...input.prepared },
        { resendsUnconfirmed: input.resendsUnconfirmed, final: false },
      ),
    options.checkpointEvery ?? 100,
    options.checkpointMinIntervalMs ?? 1000,
  );
  const progress = () => {
    const { added, removed, failed } = checkpoints.totals;
    const { sync, runId } = run;
    const retries = input.prepared.retries;
    run.emit({
      type: 'batch_done',
      sync: sync.name,
      run_id: runId,
      sent: added + removed,
      failed,
      total,
      retries,
    });
  };
  run.log.info(`sending ${total} changes to cohort ${env.destination.target.id}`);
  const summary = await sendBatches({
    batches: outgoingBatches({
      ...run.changeInput(),
      source: run.source,
      lastBatch: input.changes.lastBatch,
      encoding: env.destination,
    }),
    send: (batch) => env.destination.send(batch),
    concurrency: env.destination.concurrency,
    signal:
      env.signal && input.lockLost
        ? AbortSignal.any([env.signal, input.lockLost])
        : (input.lockLost ?? env.signal),
    onConfirmed: (result) => {
      checkpoints.confirm(result);
      progress();
    },
    onFailed: (result) => {
      run.log.warn(`batch ${result.batch} failed: ${result.error}`);
      checkpoints.fail(result);
      progress();
    },
  });
  const pending = await checkpoints.drain();
  if (checkpoints.lastError)
    run.log.warn(`a checkpoint write failed and was retried: ${errorMessage(checkpoints.lastError)}`);
  return { summary, checkpoints, pending };
}

/** The report's delivery counts: what was confirmed and what failed, and every attempt, the preparation's included. */
export function deliveryCounts(delivery: Delivery, prepared: Attempts): DeliveryCounts {
  const { added, removed, failed } = delivery.checkpoints.totals;
  const { requests, retries } = delivery.summary;
  return {
    added,
    removed,
    failed,
    requests: prepared.requests + requests,
    retries: prepared.retries + retries,
  };
}
