import type { BatchResult, FailedBatch } from './send-batches.js';

/** Confirmed and failed batches not yet written to the warehouse. */
export interface PendingBatches {
  confirmed: BatchResult[];
  failed: FailedBatch[];
}

/** Running totals of a run's sending, as sync_runs records them. */
export interface SendTotals {
  added: number;
  removed: number;
  /** Changes in batches that failed, and changes the destination rejected. */
  failed: number;
  /** Changes of confirmed batches that the destination rejected. */
  rejected: number;
  confirmedBatches: number;
  failedBatches: number;
}

/**
 * Collects batch outcomes and writes them to the warehouse every `every`
 * confirmed batches, one write at a time, so a long run's snapshot keeps up
 * with Braze instead of waiting for the end. A write that fails puts its
 * batches back: they are written with the next one, or the final one.
 *
 * Writes start at most once per `minIntervalMs` (and one is queued at most):
 * against an endpoint faster than Braze's limit, batches are confirmed faster
 * than one checkpoint per 100 is worth, and each costs a commit. At Braze's
 * own ceiling (~69 requests/s) 100 batches take longer than a second anyway.
 */
export class Checkpoints {
  readonly totals: SendTotals = {
    added: 0,
    removed: 0,
    failed: 0,
    rejected: 0,
    confirmedBatches: 0,
    failedBatches: 0,
  };
  private pending: PendingBatches = { confirmed: [], failed: [] };
  private writing: Promise<void> = Promise.resolve();
  private queued = false;
  private lastWriteAt: number;
  lastError: unknown;
  /** The error of the first batch that failed, for the run's summary. */
  firstFailure: string | undefined;
  /** The destination's message on the first change it rejected. */
  firstRejection: string | undefined;

  constructor(
    private readonly write: (batches: PendingBatches, totals: SendTotals) => Promise<void>,
    private readonly every: number,
    private readonly minIntervalMs = 0,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastWriteAt = now();
  }

  /** A batch whose request succeeded: its changes are confirmed, except those the destination rejected. */
  confirm(result: BatchResult): void {
    const rejected = result.rejected ?? [];
    const rejectedAdds = rejected.filter((r) => r.change.op === 'add').length;
    this.totals.added += result.adds - rejectedAdds;
    this.totals.removed += result.removes - (rejected.length - rejectedAdds);
    this.totals.failed += rejected.length;
    this.totals.rejected += rejected.length;
    this.totals.confirmedBatches++;
    this.firstRejection ??= rejected[0]?.message;
    this.pending.confirmed.push(result);
    if (
      !this.queued &&
      this.pending.confirmed.length >= this.every &&
      this.now() - this.lastWriteAt >= this.minIntervalMs
    ) {
      this.queued = true;
      this.writing = this.writing.then(() => this.flush());
    }
  }

  fail(result: FailedBatch): void {
    this.totals.failed += result.adds + result.removes;
    this.totals.failedBatches++;
    this.firstFailure ??= result.error;
    this.pending.failed.push(result);
  }

  /** Waits for any write under way, then hands over what is still pending (for the final transaction). */
  async drain(): Promise<PendingBatches> {
    await this.writing;
    const pending = this.pending;
    this.pending = { confirmed: [], failed: [] };
    return pending;
  }

  private async flush(): Promise<void> {
    this.queued = false;
    this.lastWriteAt = this.now();
    const batches = this.pending;
    if (batches.confirmed.length === 0 && batches.failed.length === 0) return;
    this.pending = { confirmed: [], failed: [] };
    try {
      await this.write(batches, { ...this.totals });
    } catch (error) {
      this.lastError = error;
      this.pending.confirmed.unshift(...batches.confirmed);
      this.pending.failed.unshift(...batches.failed);
    }
  }
}
