import type { SyncReport } from '../sync/sync-report.js';

/** Process exit codes: a public contract that scripts rely on. */
export const EXIT = {
  ok: 0,
  /** A sync failed, partially failed or was interrupted. */
  syncFailed: 1,
  /** Bad config or command-line usage. */
  badConfig: 2,
  /** A guardrail aborted a sync (and none failed). */
  guardrail: 3,
} as const;

/** Failures outrank guardrail aborts; a run skipped because another holds the lock is not a failure. */
export function exitCodeFor(reports: readonly SyncReport[]): number {
  if (reports.some((r) => r.status === 'failed' || r.status === 'partial' || r.status === 'interrupted'))
    return EXIT.syncFailed;
  if (reports.some((r) => r.status === 'aborted')) return EXIT.guardrail;
  return EXIT.ok;
}
