/**
 * The Braze cohort import API on the wire, in the API's own snake_case.
 * Shared by the client (src/destinations/braze-cohort) and the emulator (src/emulator) — the only
 * thing they share.
 */

export interface UserAlias {
  alias_name: string;
  alias_label: string;
}

/** One entry of `cohort_changes`: identifiers to add, or to remove with `should_remove: true`. */
export interface CohortChange {
  user_ids?: string[];
  device_ids?: string[];
  aliases?: UserAlias[];
  should_remove?: boolean;
}

/**
 * A `cohort_changes` array already serialised as JSON text (built in the warehouse, see
 * batch-body-statements.ts); the client puts it in the body as it is.
 */
export interface CohortChangesJson {
  readonly json: string;
}

/** The `cohort_changes` of one request, as entries or as JSON text. */
export type CohortBody = CohortChange[] | CohortChangesJson;

interface Credentials {
  partner_api_key: string;
  client_secret: string;
}

/** POST /partners/{partner}/cohorts — create or rename. */
export interface UpsertCohortRequest extends Credentials {
  cohort_id: string;
  name: string;
  /** ISO-8601. */
  created_at: string;
}

/** POST /partners/{partner}/cohorts/users — add and remove members. */
export interface CohortUsersRequest extends Credentials {
  cohort_id: string;
  cohort_changes: CohortChange[];
}

export interface BrazeMessageBody {
  message: string;
}

/** Identifiers one request may carry, over all its entries: the cohort destination's batch limit. */
export const MAX_IDENTIFIERS_PER_REQUEST = 1000;

export function cohortsPath(partner: string): string {
  return `/partners/${encodeURIComponent(partner)}/cohorts`;
}

export function cohortUsersPath(partner: string): string {
  return `${cohortsPath(partner)}/users`;
}

/** Identifiers an entry carries, counted over all its arrays (the 1,000 cap counts these). */
export function identifierCount(change: CohortChange): number {
  return (change.user_ids?.length ?? 0) + (change.device_ids?.length ?? 0) + (change.aliases?.length ?? 0);
}
