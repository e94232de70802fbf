import type { OutgoingBatch, RejectedChange, SendOutcome } from '../destinations/destination.js';
import { CohortSyncError, errorMessage, retriesOf } from '../errors.js';

export interface BatchResult {
  batch: number;
  adds: number;
  removes: number;
  retries: number;
  /** Changes of the batch the destination refused; none when absent. Every other change is confirmed. */
  rejected?: readonly RejectedChange[];
}

export interface FailedBatch extends BatchResult {
  error: string;
}

export interface SendBatchesOptions {
  /** The run's batches in batch order (see outgoing-batches.ts). */
  batches: AsyncIterable<OutgoingBatch>;
  send: (batch: OutgoingBatch) => Promise<SendOutcome>;
  concurrency: number;
  /** Stops reading new batches; requests in flight finish. */
  signal?: AbortSignal;
  /** Stop after this many batches in a row failed even after retries: Braze is down, not one request bad. */
  maxConsecutiveFailures?: number;
  onConfirmed: (result: BatchResult) => void;
  onFailed: (result: FailedBatch) => void;
}

export interface SendSummary {
  /** HTTP attempts made, retries included. */
  requests: number;
  retries: number;
  /** Why sending stopped early, if it did. */
  stoppedBy: 'interrupted' | Error | undefined;
}

/**
 * Sends one request per batch, keeping at most `concurrency` in flight
 * while the next batch is read and built. A non-retryable
 * error (400, 401) stops the run: every later request would fail the same way.
 */
export async function sendBatches(options: SendBatchesOptions): Promise<SendSummary> {
  const inFlight = new Set<Promise<void>>();
  const summary: SendSummary = { requests: 0, retries: 0, stoppedBy: undefined };
  const maxConsecutive = options.maxConsecutiveFailures ?? 3;
  let consecutiveFailures = 0;

  const dispatch = (outgoing: OutgoingBatch) => {
    const base = { batch: outgoing.batch, adds: outgoing.adds, removes: outgoing.removes };
    const task = options
      .send(outgoing)
      .then(
        ({ requests, retries, rejected }) => {
          consecutiveFailures = 0;
          summary.requests += requests;
          summary.retries += retries;
          options.onConfirmed({ ...base, retries, rejected });
        },
        (error: unknown) => {
          const retries = retriesOf(error);
          summary.requests += retries + 1;
          summary.retries += retries;
          options.onFailed({ ...base, retries, error: errorMessage(error) });
          consecutiveFailures++;
          const fatal = error instanceof CohortSyncError && !error.retryable;
          if ((fatal || consecutiveFailures >= maxConsecutive) && !summary.stoppedBy)
            summary.stoppedBy = error instanceof Error ? error : new Error(errorMessage(error));
        },
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  const stopped = () => {
    if (!summary.stoppedBy && options.signal?.aborted) summary.stoppedBy = 'interrupted';
    return summary.stoppedBy !== undefined;
  };

  for await (const batch of options.batches) {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (stopped()) break;
    dispatch(batch);
  }
  await Promise.all(inFlight);
  stopped();
  return summary;
}
