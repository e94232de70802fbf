import { BrazeApiError, errorMessage } from '../errors.js';
import type { SendResult } from '../sink/braze-client.js';
import type { CohortChange } from '../sink/wire-types.js';
import { toCohortChanges, type ChangeRow } from './cohort-changes.js';

export interface BatchResult {
  batch: number;
  adds: number;
  removes: number;
  retries: number;
}

export interface FailedBatch extends BatchResult {
  error: string;
}

export interface SendBatchesOptions {
  /** Change rows in batch order, in chunks (op, id_type, id, alias_label, batch). */
  rows: AsyncIterable<unknown[][]>;
  send: (changes: CohortChange[]) => Promise<SendResult>;
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
 * Streams change rows into requests of one batch each, keeping at most
 * `concurrency` in flight while the next one is built. A non-retryable
 * error (400, 401) stops the run: every later request would fail the same way.
 */
export async function sendBatches(options: SendBatchesOptions): Promise<SendSummary> {
  const inFlight = new Set<Promise<void>>();
  const summary: SendSummary = { requests: 0, retries: 0, stoppedBy: undefined };
  const maxConsecutive = options.maxConsecutiveFailures ?? 3;
  let consecutiveFailures = 0;

  const dispatch = (batch: number, rows: ChangeRow[]) => {
    const adds = rows.reduce((n, row) => n + (row[0] === 'add' ? 1 : 0), 0);
    const base = { batch, adds, removes: rows.length - adds };
    const task = options
      .send(toCohortChanges(rows))
      .then(
        ({ retries }) => {
          consecutiveFailures = 0;
          summary.requests += retries + 1;
          summary.retries += retries;
          options.onConfirmed({ ...base, retries });
        },
        (error: unknown) => {
          const retries = (error as { retries?: number }).retries ?? 0;
          summary.requests += retries + 1;
          summary.retries += retries;
          options.onFailed({ ...base, retries, error: errorMessage(error) });
          consecutiveFailures++;
          const fatal = error instanceof BrazeApiError && !error.retryable;
          if ((fatal || consecutiveFailures >= maxConsecutive) && !summary.stoppedBy)
            summary.stoppedBy = error as Error;
        },
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  const stopped = () => {
    if (!summary.stoppedBy && options.signal?.aborted) summary.stoppedBy = 'interrupted';
    return summary.stoppedBy !== undefined;
  };

  let current: ChangeRow[] = [];
  let currentBatch = -1;
  outer: for await (const chunk of options.rows) {
    for (const row of chunk) {
      const batch = Number(row[4]);
      if (batch !== currentBatch && current.length > 0) {
        while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
        if (stopped()) break outer;
        dispatch(currentBatch, current);
        current = [];
      }
      currentBatch = batch;
      current.push(row);
    }
  }
  if (current.length > 0 && !stopped()) {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (!stopped()) dispatch(currentBatch, current);
  }
  await Promise.all(inFlight);
  stopped();
  return summary;
}
