import type { SyncConfig } from '../config/types.js';
import { MAX_IDENTIFIERS_PER_REQUEST } from '../destinations/braze-cohort/wire-types.js';
import type { MemberKey, SyncReport } from '../sync/sync-report.js';
import { parseSkipReasons } from './skip-reasons.js';

/** Version of the `plan --json` document; bumped only for a change that is not an addition. */
export const PLAN_FORMAT_VERSION = 1;

/**
 * What `plan --json` prints: a public interface, documented in docs/cli.md.
 * Fields are only ever added; none is renamed or removed within a format version.
 */
export interface PlanDocument {
  format_version: typeof PLAN_FORMAT_VERSION;
  syncs: SyncPlan[];
}

/** The plan of one sync: what a run would do now. */
export interface SyncPlan {
  sync: string;
  /** `ok`: a run would send these changes; `guardrail`: a guardrail would stop the run; `failed`: no plan could be made (see `error`). */
  verdict: 'ok' | 'guardrail' | 'failed';
  /** The dry run that computed the plan (a row of sync_runs with dry_run = true). */
  run_id: string;
  /** Set when the plan was saved with `plan --save`: apply it with `run --plan-id`. */
  plan_id: string | null;
  cohort: {
    id: string;
    name: string;
    /** Members Braze holds now, per the snapshot. */
    size_now: number;
    /** Members after a run that sends every change. */
    size_after: number;
  };
  query: {
    rows: number;
    /** Distinct valid users. */
    members: number;
    skipped: {
      /** Rows whose every identifier was NULL. */
      no_identifier: number;
      /** Rows that repeat a user already counted. */
      duplicate: number;
      invalid: number;
      /** Invalid rows by reason. */
      invalid_reasons: Record<string, number>;
    };
  };
  changes: { add: number; remove: number };
  braze: {
    /** Membership requests (up to 1,000 ids each) a run would send, retries not counted. */
    requests: number;
    /** Braze data points the changes consume: one per added or removed user. */
    data_points: number;
  };
  guardrail: { would_stop: boolean; reason: string | null };
  /** Why the plan failed, when `verdict` is `failed`. */
  error: string | null;
  /** With `--show N`: up to N users of each kind, else null (ids may be personal data). */
  samples: { add: PlanMember[]; remove: PlanMember[] } | null;
}

export interface PlanMember {
  id_type: string;
  id: string;
  /** Only for `alias` ids. */
  alias_label?: string;
}

/**
 * The stable plan of one sync, from the dry run's report and the sync's config. Every value that comes
 * from outside the program (names, ids of the sample, messages) passes through `redact`; counts, run ids
 * and verdicts are ours and are left as they are.
 */
export function toSyncPlan(
  report: SyncReport,
  sync: SyncConfig,
  planId: string | null,
  redact: (text: string) => string,
): SyncPlan {
  const changes = report.to_add + report.to_remove;
  const verdict = report.status === 'aborted' ? 'guardrail' : report.status === 'failed' ? 'failed' : 'ok';
  const error = report.error === null ? null : redact(report.error);
  return {
    sync: redact(report.sync),
    verdict,
    run_id: report.run_id,
    plan_id: planId,
    cohort: {
      id: redact(sync.cohort_id),
      name: redact(sync.cohort_name),
      size_now: report.snapshot_size,
      size_after: report.snapshot_size + report.to_add - report.to_remove,
    },
    query: {
      rows: report.query_rows,
      members: report.members,
      skipped: {
        no_identifier: report.skipped_null,
        duplicate: report.skipped_duplicate,
        invalid: report.skipped_invalid,
        invalid_reasons: parseSkipReasons(report.skip_reasons),
      },
    },
    changes: { add: report.to_add, remove: report.to_remove },
    braze: { requests: Math.ceil(changes / MAX_IDENTIFIERS_PER_REQUEST), data_points: changes },
    guardrail: {
      would_stop: verdict === 'guardrail',
      reason: verdict === 'guardrail' ? (error?.replace(/^guardrail: /, '') ?? null) : null,
    },
    error: verdict === 'failed' ? error : null,
    samples: report.samples
      ? {
          add: report.samples.add.map((key) => toMember(key, redact)),
          remove: report.samples.remove.map((key) => toMember(key, redact)),
        }
      : null,
  };
}

function toMember(key: MemberKey, redact: (text: string) => string): PlanMember {
  return key.id_type === 'alias'
    ? { id_type: key.id_type, id: redact(key.id), alias_label: redact(key.alias_label) }
    : { id_type: key.id_type, id: redact(key.id) };
}
