import type { RunStatus } from '../state/state-database.js';

/** A member as `plan` shows it: the identity of one row of the audience. */
export interface MemberKey {
  id_type: string;
  id: string;
  alias_label: string;
}

/** What the query returned, as the stage step counted it (invariant 4: every row accounted for). */
export interface AudienceCounts {
  query_rows: number;
  skipped_null: number;
  skipped_duplicate: number;
  skipped_invalid: number;
  /** Invalid-identifier counts by reason (`blank identifier …: 2; …`), NULL when none. */
  skip_reasons: string | null;
  /** Distinct valid members the query returned. */
  members: number;
}

/** What the diff against the snapshot found. */
export interface ChangeCounts {
  to_add: number;
  to_remove: number;
}

/** What delivery did: changes Braze confirmed, changes that failed, and the HTTP attempts it took. */
export interface DeliveryCounts {
  added: number;
  removed: number;
  failed: number;
  requests: number;
  retries: number;
}

/** The outcome of one run of one sync, as `run` prints it and observers receive it. */
export interface SyncReport extends AudienceCounts, ChangeCounts, DeliveryCounts {
  sync: string;
  run_id: string;
  status: RunStatus;
  dry_run: boolean;
  /** Members the snapshot held before the run. */
  snapshot_size: number;
  error: string | null;
  samples?: { add: MemberKey[]; remove: MemberKey[] };
}

/** Audience counts of a run that has staged nothing. */
export const NO_AUDIENCE: Readonly<AudienceCounts> = {
  query_rows: 0,
  skipped_null: 0,
  skipped_duplicate: 0,
  skipped_invalid: 0,
  skip_reasons: null,
  members: 0,
};

/** Delivery counts of a run that has sent nothing. */
const NOTHING_DELIVERED: Readonly<DeliveryCounts> = {
  added: 0,
  removed: 0,
  failed: 0,
  requests: 0,
  retries: 0,
};

/** A report with every count at zero, for a run that has done nothing yet (or never will). */
export function emptyReport(
  sync: string,
  runId: string,
  status: RunStatus,
  dryRun: boolean,
  error: string | null = null,
): SyncReport {
  return {
    sync,
    run_id: runId,
    status,
    dry_run: dryRun,
    ...NO_AUDIENCE,
    snapshot_size: 0,
    to_add: 0,
    to_remove: 0,
    ...NOTHING_DELIVERED,
    error,
  };
}
