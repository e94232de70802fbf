import { AsyncLocalStorage } from 'node:async_hooks';

/** What the warehouse reported for the query jobs of one run: the bytes users pay for (BigQuery). */
export interface QueryUsage {
  /** Jobs that reported their bytes. Zero when the warehouse reports none (all but BigQuery). */
  jobs: number;
  bytesProcessed: number;
  bytesBilled: number;
}

const current = new AsyncLocalStorage<QueryUsage>();

/**
 * Runs `work` with `usage` as the meter of every query it starts, however deep (a run's statements,
 * its lock heartbeat). One warehouse connection serves several syncs at once in the daemon; the
 * async context tells whose query a job was without threading a meter through every call.
 */
export function meteringQueries<T>(usage: QueryUsage, work: () => Promise<T>): Promise<T> {
  return current.run(usage, work);
}

/** Called by a source when a job finished and reported its bytes; a no-op outside {@link meteringQueries}. */
export function recordQueryUsage(bytesProcessed: number, bytesBilled: number): void {
  const usage = current.getStore();
  if (!usage) return;
  usage.jobs += 1;
  usage.bytesProcessed += bytesProcessed;
  usage.bytesBilled += bytesBilled;
}
