import type { MemberChange } from '../../diff/stage-tables.js';
import type {
  Attempts,
  BatchEncoding,
  DeliveryTarget,
  Destination,
  OutgoingBatch,
  PrepareInput,
  SendOutcome,
} from '../destination.js';
import type { RequestLimits } from '../http/limit-requests.js';
import { batchFromBodyRow, streamBatchBodiesQuery } from './batch-body-statements.js';
import type { SendResult } from './braze-cohort-client.js';
import { toCohortChanges } from './cohort-changes.js';
import { MAX_IDENTIFIERS_PER_REQUEST, type CohortBody } from './wire-types.js';

/** The part of the cohort API client a {@link CohortDestination} uses (BrazeClient, or a test double). */
export interface CohortClient {
  upsertCohort(cohort: { id: string; name: string; createdAt: Date }): Promise<SendResult>;
  sendChanges(cohortId: string, changes: CohortBody): Promise<SendResult>;
}

/** How cohort membership requests are encoded: `cohort_changes` entries, built in Node or in the warehouse. */
export const cohortEncoding: BatchEncoding<CohortBody> = {
  batchLimit: MAX_IDENTIFIERS_PER_REQUEST,
  encode: (changes: readonly MemberChange[]) => toCohortChanges(changes),
  warehouseBodies: { query: streamBatchBodiesQuery, fromRow: batchFromBodyRow },
};

/** The shared Braze budget of a daemon when a target sets none: 72,000 requests an hour, 16 in flight. */
export const DAEMON_DEFAULT_LIMITS: Required<RequestLimits> = { requestsPerSecond: 20, maxInFlight: 16 };

/**
 * The cohort API's pacing for a target that sets no limits, per endpoint and shared by every sync of
 * the process: a daemon's {@link DAEMON_DEFAULT_LIMITS}; none for `run`, which its `concurrency` bounds.
 */
export function cohortPacing(process: 'command' | 'daemon'): RequestLimits | undefined {
  return process === 'daemon' ? DAEMON_DEFAULT_LIMITS : undefined;
}

/**
 * Delivery to a Braze cohort through the partner cohort import API: `prepare` creates or renames the
 * cohort, `send` posts one membership request per batch. Braze answers a request as a whole, so a sent
 * batch is confirmed whole and nothing is rejected one by one.
 */
export class CohortDestination implements Destination<CohortBody> {
  readonly batchLimit = cohortEncoding.batchLimit;
  readonly warehouseBodies = cohortEncoding.warehouseBodies;

  constructor(
    private readonly client: CohortClient,
    readonly target: DeliveryTarget,
    readonly concurrency: number,
  ) {}

  /** Creates the cohort before its first write and renames it when the name changed. */
  async prepare({ changes, lastDelivered }: PrepareInput): Promise<Attempts> {
    const known = lastDelivered?.id === this.target.id && lastDelivered.name === this.target.name;
    if (changes === 0 && known) return { requests: 0, retries: 0 };
    const { id, name } = this.target;
    const { retries } = await this.client.upsertCohort({ id, name, createdAt: new Date() });
    return { requests: retries + 1, retries };
  }

  encode(changes: readonly MemberChange[]): CohortBody {
    return cohortEncoding.encode(changes);
  }

  async send(batch: OutgoingBatch<CohortBody>): Promise<SendOutcome> {
    const { retries } = await this.client.sendChanges(this.target.id, batch.body);
    return { requests: retries + 1, retries, rejected: [] };
  }
}
