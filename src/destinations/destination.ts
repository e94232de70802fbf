import type { CompiledQuery, Kysely } from 'kysely';
import type { MemberChange, StageTables } from '../diff/stage-tables.js';
import type { JsonBatchSql, SqlCapabilities } from '../sources/source.js';

/** What a sync delivers to, as sync_runs records it (`cohort_id`, `cohort_name`). */
export interface DeliveryTarget {
  id: string;
  name: string;
}

/** HTTP attempts a call took: `requests` in all, `retries` of them after a first try failed. */
export interface Attempts {
  requests: number;
  retries: number;
}

/** A change the destination refused, with the destination's reason (Braze's message). */
export interface RejectedChange {
  change: MemberChange;
  message: string;
}

/**
 * How a batch went once its request(s) succeeded: every change of the batch is confirmed except those in
 * `rejected`. A destination that can refuse single changes (a 400 isolated down to one identifier, a
 * `/users/track` answer naming object indexes) lists them; the run keeps them out of the snapshot.
 */
export interface SendOutcome extends Attempts {
  rejected: readonly RejectedChange[];
}

/** One request's worth of changes as the run hands it to {@link Destination.send}. */
export interface OutgoingBatch<Body = unknown> {
  batch: number;
  adds: number;
  removes: number;
  /** The request body, encoded by the destination (in Node, or in the warehouse: {@link WarehouseBodies}). */
  body: Body;
  /**
   * The batch's changes one by one, read again from the warehouse only when called: for a destination
   * that must name the changes a response refused (e.g. by splitting a refused batch).
   */
  changes(): Promise<readonly MemberChange[]>;
}

/** A batch as a row of a {@link WarehouseBodies} query decodes it. */
export type EncodedBatch<Body> = Omit<OutgoingBatch<Body>, 'changes'>;

/**
 * Capability: the warehouse builds the request bodies, so that a batch streams out as one row of
 * ready-made text instead of a row per change. Used when the warehouse has `jsonBatches` too.
 */
export interface WarehouseBodies<Body> {
  /** One row per batch in `[fromBatch, toBatch]`, in batch order. */
  query(input: {
    db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a Source's db
    caps: SqlCapabilities;
    json: JsonBatchSql;
    tables: StageTables;
    fromBatch: number;
    toBatch: number;
  }): CompiledQuery;
  /** A row of that query as its batch. */
  fromRow(row: readonly unknown[]): EncodedBatch<Body>;
}

/** How a destination turns a batch of changes into a request body. */
export interface BatchEncoding<Body = unknown> {
  /** Most changes one request may carry; the run numbers its changes into batches of this size. */
  readonly batchLimit: number;
  encode(changes: readonly MemberChange[]): Body;
  /** Absent: bodies are always encoded in Node from the change rows. */
  readonly warehouseBodies?: WarehouseBodies<Body>;
}

/** What {@link Destination.prepare} knows of the run about to send. */
export interface PrepareInput {
  /** Changes the run is about to send; 0 when it has none. */
  changes: number;
  /** The target this sync last delivered to (sync_runs), undefined before its first delivery. */
  lastDelivered: DeliveryTarget | undefined;
}

/**
 * The one interface a run delivers through: one implementation per folder of src/destinations
 * (braze-cohort/ is the first), built for one sync by the process's composition root. A call that fails
 * throws a BrazeApiError (or another CohortSyncError) whose `retries` says what it spent; a non-retryable
 * error stops the run's sending, since every later request would fail the same way. Pacing across the
 * process (rate and in-flight cap per endpoint) is the destination's own.
 */
export interface Destination<Body = unknown> extends BatchEncoding<Body> {
  readonly target: DeliveryTarget;
  /** Requests one run keeps in flight. */
  readonly concurrency: number;
  /**
   * Makes the target ready before the first send (the cohort: create it, or rename it); harmless to
   * repeat, and free (0 requests) when there is nothing to do.
   */
  prepare(input: PrepareInput): Promise<Attempts>;
  /** Sends one batch (one request, or more if the destination splits it). */
  send(batch: OutgoingBatch<Body>): Promise<SendOutcome>;
}
