import type { Kysely } from 'kysely';
import type { ChangeOp, IdType, StageDatabase } from '../diff/stage-tables.js';

/**
 * The state schema's tables, as users see them in SQL. These table and
 * column names are a public contract: add columns through a migration, never
 * rename one.
 */
export interface StateDatabase {
  cohort_snapshot: CohortSnapshotRow;
  sync_runs: SyncRunRow;
  sync_changes: SyncChangeRow;
  sync_locks: SyncLockRow;
  schema_version: SchemaVersionRow;
}

/** `planned`: a change of a plan saved with `plan --save`, not sent by that dry run. */
export type ChangeStatus = 'sent' | 'failed' | 'not_sent' | 'planned';
export type RunStatus =
  'running' | 'succeeded' | 'partial' | 'failed' | 'aborted' | 'abandoned' | 'interrupted' | 'skipped';
export type RunTrigger = 'manual' | 'schedule';

/** What Braze holds for each sync: only members Braze confirmed. */
export interface CohortSnapshotRow {
  sync_name: string;
  id_type: IdType;
  id: string;
  /** '' unless id_type is `alias`. */
  alias_label: string;
  added_at: Date;
  run_id: string;
}

/** One row per run. */
export interface SyncRunRow {
  run_id: string;
  sync_name: string;
  cohort_id: string;
  cohort_name: string;
  trigger: RunTrigger;
  dry_run: boolean;
  status: RunStatus;
  started_at: Date;
  finished_at: Date | null;
  query_rows: number | null;
  skipped_null: number | null;
  skipped_duplicate: number | null;
  skipped_invalid: number | null;
  to_add: number | null;
  to_remove: number | null;
  added: number;
  removed: number;
  failed: number;
  requests: number;
  retries: number;
  error: string | null;
  /** Invalid-identifier counts by reason, e.g. `blank id: 2; id longer than 1024 characters: 1`. */
  skip_reasons: string | null;
  /** Bytes the warehouse processed and billed for the run's query jobs (BigQuery); NULL where it reports none. */
  bytes_processed: number | null;
  bytes_billed: number | null;
}

/** One row per change a run computed. */
export interface SyncChangeRow {
  run_id: string;
  sync_name: string;
  op: ChangeOp;
  id_type: IdType;
  id: string;
  alias_label: string;
  batch: number;
  status: ChangeStatus;
  error: string | null;
  created_at: Date;
}

export interface SyncLockRow {
  sync_name: string;
  /** `host:pid` of the holder. */
  owner: string;
  run_id: string;
  acquired_at: Date;
  lease_until: Date;
}

export interface SchemaVersionRow {
  version: number;
  description: string;
  applied_at: Date;
}

/** Kysely over the state tables, and the changes stage tables that statements of src/state read. */
export type StateKysely = Kysely<StateDatabase & StageDatabase>;

/**
 * The state tables of `schema`, typed for kysely: every statement of src/state is built on this. Stage
 * tables are named with their own schema, which `withSchema` leaves alone.
 */
export function stateTables(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- a Source's db: tables are made at run time
  schema: string,
): StateKysely {
  // The one place a Source's untyped db meets the state tables' types; every statement below is checked.
  return db.withSchema(schema); // eslint-disable-line @typescript-eslint/no-unsafe-return
}
