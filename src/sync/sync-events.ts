import type { SyncReport } from './sync-report.js';

/**
 * What a run tells observers as it goes (progress bars, metrics, alerts),
 * so they need not reach into the run. Handlers must not throw.
 */
export type SyncEvent =
  | { type: 'run_started'; sync: string; run_id: string; dry_run: boolean }
  | {
      type: 'diff_computed';
      sync: string;
      run_id: string;
      query_rows: number;
      members: number;
      to_add: number;
      to_remove: number;
    }
  | {
      type: 'batch_done';
      sync: string;
      run_id: string;
      /** Changes confirmed so far in this run. */
      sent: number;
      /** Changes in failed batches so far. */
      failed: number;
      /** All changes the run means to send. */
      total: number;
      retries: number;
    }
  | { type: 'run_finished'; report: SyncReport };

export type SyncEventHandler = (event: SyncEvent) => void;
