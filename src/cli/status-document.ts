import type { SyncRunRow } from '../state/state-database.js';
import { parseSkipReasons } from './skip-reasons.js';

/** Version of the `status --json` document; bumped only for a change that is not an addition. */
export const STATUS_FORMAT_VERSION = 1;

/**
 * What `status --json` prints: a public interface, documented in docs/cli.md.
 * Each run carries the columns of sync_runs under the same names, times as
 * ISO 8601 UTC, counts as numbers, skip_reasons as a map, plus duration_ms.
 */
export interface StatusDocument {
  format_version: typeof STATUS_FORMAT_VERSION;
  /** Newest first within each sync; syncs by name. */
  runs: StatusRun[];
  /** Syncs of the config with no run recorded (of the kinds shown). */
  never_run: string[];
}

export interface StatusRun {
  run_id: string;
  sync_name: string;
  status: string;
  dry_run: boolean;
  trigger: string;
  cohort_id: string;
  cohort_name: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  query_rows: number | null;
  skipped_null: number | null;
  skipped_duplicate: number | null;
  skipped_invalid: number | null;
  skip_reasons: Record<string, number>;
  to_add: number | null;
  to_remove: number | null;
  added: number;
  removed: number;
  failed: number;
  requests: number;
  retries: number;
  error: string | null;
}

/**
 * One row of sync_runs as `status` shows it. Values that come from outside the program (names, the error)
 * pass through `redact`; times, counts, ids and statuses are ours and are left as they are.
 */
export function toStatusRun(run: SyncRunRow, redact: (text: string) => string): StatusRun {
  const count = (value: number | null) => (value === null ? null : Number(value));
  const started = new Date(run.started_at);
  const finished = run.finished_at === null ? null : new Date(run.finished_at);
  return {
    run_id: run.run_id,
    sync_name: redact(run.sync_name),
    status: run.status,
    dry_run: Boolean(run.dry_run),
    trigger: run.trigger,
    cohort_id: redact(run.cohort_id),
    cohort_name: redact(run.cohort_name),
    started_at: started.toISOString(),
    finished_at: finished?.toISOString() ?? null,
    duration_ms: finished ? finished.getTime() - started.getTime() : null,
    query_rows: count(run.query_rows),
    skipped_null: count(run.skipped_null),
    skipped_duplicate: count(run.skipped_duplicate),
    skipped_invalid: count(run.skipped_invalid),
    skip_reasons: parseSkipReasons(run.skip_reasons),
    to_add: count(run.to_add),
    to_remove: count(run.to_remove),
    added: Number(run.added),
    removed: Number(run.removed),
    failed: Number(run.failed),
    requests: Number(run.requests),
    retries: Number(run.retries),
    error: run.error === null ? null : redact(run.error),
  };
}
