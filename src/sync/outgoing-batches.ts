import { batchChangesQuery, streamChangesQuery } from '../diff/change-statements.js';
import type { MemberChange, StageTables } from '../diff/stage-tables.js';
import type {
  BatchEncoding,
  EncodedBatch,
  OutgoingBatch,
  WarehouseBodies,
} from '../destinations/destination.js';
import type { JsonBatchSql, Source } from '../sources/source.js';

export interface OutgoingBatchesInput {
  source: Source;
  /** The state schema. */
  schema: string;
  tables: StageTables;
  syncName: string;
  /** The highest batch number of the run's changes. */
  lastBatch: number;
  /** How the destination encodes a batch. */
  encoding: BatchEncoding;
}

/**
 * The run's batches in batch order, read from the changes stage table:
 * bodies built by the warehouse when both it and the destination can (one
 * row a batch, windows of `batchesPerQuery` batches per query), else change
 * rows grouped here and encoded by the destination. Reading stops as soon
 * as the consumer stops pulling.
 */
export function outgoingBatches(input: OutgoingBatchesInput): AsyncIterable<OutgoingBatch> {
  const { source, encoding } = input;
  const json = source.capabilities.jsonBatches;
  if (json && encoding.warehouseBodies) return batchesFromBodies(input, encoding.warehouseBodies, json);
  const rows = source.stream(streamChangesQuery({ ...input, db: source.db, caps: source.capabilities }));
  return batchesFromRows(rows, encoding);
}

const BODIES_PER_CHUNK = 8;

async function* batchesFromBodies(
  input: OutgoingBatchesInput,
  bodies: WarehouseBodies<unknown>,
  json: JsonBatchSql,
): AsyncIterable<OutgoingBatch> {
  const { source, tables, lastBatch } = input;
  const changesOf = (batch: number) => async () =>
    source.execute<MemberChange & Record<string, unknown>>(
      batchChangesQuery({ ...input, db: source.db, caps: source.capabilities, batch }),
    );
  for (let fromBatch = 0; fromBatch <= lastBatch; fromBatch += json.batchesPerQuery) {
    const toBatch = Math.min(lastBatch, fromBatch + json.batchesPerQuery - 1);
    const query = bodies.query({
      db: source.db,
      caps: source.capabilities,
      json,
      tables,
      fromBatch,
      toBatch,
    });
    // A row is a whole request body (~40 KB for 1,000 ids): read a few at a time.
    for await (const chunk of source.stream(query, { chunkRows: BODIES_PER_CHUNK })) {
      for (const row of chunk) {
        const batch: EncodedBatch<unknown> = bodies.fromRow(row);
        yield { ...batch, changes: changesOf(batch.batch) };
      }
    }
  }
}

/** Change rows (op, id_type, id, alias_label, batch) in batch order, grouped into batches and encoded. */
async function* batchesFromRows(
  rows: AsyncIterable<unknown[][]>,
  encoding: BatchEncoding,
): AsyncIterable<OutgoingBatch> {
  let current: MemberChange[] = [];
  let currentBatch = -1;
  for await (const chunk of rows) {
    for (const [op, idType, id, aliasLabel, batch] of chunk) {
      if (Number(batch) !== currentBatch && current.length > 0) {
        yield encoded(currentBatch, current, encoding);
        current = [];
      }
      currentBatch = Number(batch);
      current.push(memberChange(op, idType, id, aliasLabel));
    }
  }
  if (current.length > 0) yield encoded(currentBatch, current, encoding);
}

function encoded(batch: number, changes: MemberChange[], encoding: BatchEncoding): OutgoingBatch {
  const adds = changes.reduce((n, change) => n + (change.op === 'add' ? 1 : 0), 0);
  return {
    batch,
    adds,
    removes: changes.length - adds,
    body: encoding.encode(changes),
    changes: () => Promise.resolve(changes),
  };
}

/** A streamed row's values as a change; the changes table's columns hold nothing else. */
function memberChange(op: unknown, idType: unknown, id: unknown, aliasLabel: unknown): MemberChange {
  return {
    op: op === 'remove' ? 'remove' : 'add',
    id_type: idType === 'external_id' || idType === 'device_id' ? idType : 'alias',
    id: String(id),
    alias_label: String(aliasLabel),
  };
}
