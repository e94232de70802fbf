import { streamBatchBodiesQuery } from '../destinations/braze-cohort/batch-body-statements.js';
import { streamChangesQuery } from '../diff/change-statements.js';
import type { StageTables } from '../diff/stage-tables.js';
import type { CohortChange, CohortChangesJson } from '../destinations/braze-cohort/wire-types.js';
import type { Source } from '../sources/source.js';
import { toCohortChanges, type ChangeRow } from '../destinations/braze-cohort/cohort-changes.js';

/** One request's worth of changes: one batch of the changes stage table. */
export interface OutgoingBatch {
  batch: number;
  adds: number;
  removes: number;
  changes: CohortChange[] | CohortChangesJson;
}

export interface OutgoingBatchesInput {
  source: Source;
  schema: string;
  tables: StageTables;
  syncName: string;
  /** The highest batch number of the run's changes. */
  lastBatch: number;
}

/**
 * The run's batches in batch order, read from the changes stage table: as
 * JSON built by the warehouse when it can (one row a batch, windows of
 * `batchesPerQuery` batches per query), else as change rows grouped here.
 * Reading stops as soon as the consumer stops pulling.
 */
export function outgoingBatches(input: OutgoingBatchesInput): AsyncIterable<OutgoingBatch> {
  const { source } = input;
  const caps = source.capabilities;
  if (caps.jsonBatches) return batchesFromBodies(input, caps.jsonBatches.batchesPerQuery);
  return batchesFromRows(
    source.stream(
      streamChangesQuery({
        db: source.db,
        caps,
        schema: input.schema,
        tables: input.tables,
        syncName: input.syncName,
      }),
    ),
  );
}

const BODIES_PER_CHUNK = 8;

async function* batchesFromBodies(
  input: OutgoingBatchesInput,
  perQuery: number,
): AsyncIterable<OutgoingBatch> {
  const { source } = input;
  const json = source.capabilities.jsonBatches!;
  for (let fromBatch = 0; fromBatch <= input.lastBatch; fromBatch += perQuery) {
    const query = streamBatchBodiesQuery({
      db: source.db,
      caps: source.capabilities,
      tables: input.tables,
      json,
      fromBatch,
      toBatch: Math.min(input.lastBatch, fromBatch + perQuery - 1),
    });
    // A row is a whole request body (~40 KB for 1,000 ids): read a few at a time.
    for await (const chunk of source.stream(query, { chunkRows: BODIES_PER_CHUNK })) {
      for (const row of chunk) yield fromBodyRow(row);
    }
  }
}

/** A row of {@link streamBatchBodiesQuery} as a batch whose `cohort_changes` is already JSON. */
export function fromBodyRow(row: readonly unknown[]): OutgoingBatch {
  const [batch, adds, removes, addUsers, addDevices, addAliases, removeUsers, removeDevices, removeAliases] =
    row;
  const entries = [
    entry(addUsers, addDevices, addAliases, false),
    entry(removeUsers, removeDevices, removeAliases, true),
  ].filter((e) => e !== undefined);
  return {
    batch: Number(batch),
    adds: Number(adds),
    removes: Number(removes),
    changes: { json: `[${entries.join(',')}]` },
  };
}

/** One `cohort_changes` entry with only the arrays it needs, like {@link toCohortChanges} builds. */
function entry(users: unknown, devices: unknown, aliases: unknown, remove: boolean): string | undefined {
  const parts: string[] = [];
  if (typeof users === 'string') parts.push(`"user_ids":[${users}]`);
  if (typeof devices === 'string') parts.push(`"device_ids":[${devices}]`);
  if (typeof aliases === 'string') parts.push(`"aliases":[${aliases}]`);
  if (parts.length === 0) return undefined;
  if (remove) parts.push('"should_remove":true');
  return `{${parts.join(',')}}`;
}

/** Change rows (op, id_type, id, alias_label, batch) in batch order, grouped into batches. */
export async function* batchesFromRows(rows: AsyncIterable<unknown[][]>): AsyncIterable<OutgoingBatch> {
  let current: ChangeRow[] = [];
  let currentBatch = -1;
  for await (const chunk of rows) {
    for (const row of chunk) {
      const batch = Number(row[4]);
      if (batch !== currentBatch && current.length > 0) {
        yield fromRows(currentBatch, current);
        current = [];
      }
      currentBatch = batch;
      current.push(row);
    }
  }
  if (current.length > 0) yield fromRows(currentBatch, current);
}

function fromRows(batch: number, rows: ChangeRow[]): OutgoingBatch {
  const adds = rows.reduce((n, row) => n + (row[0] === 'add' ? 1 : 0), 0);
  return { batch, adds, removes: rows.length - adds, changes: toCohortChanges(rows) };
}
