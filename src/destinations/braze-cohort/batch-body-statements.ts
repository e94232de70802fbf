import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import type { JsonBatchSql, SqlCapabilities } from '../../sources/source.js';
import { qualified, type StageTables } from '../../diff/stage-tables.js';
import type { EncodedBatch } from '../destination.js';
import type { CohortBody } from './wire-types.js';

/** The column order of {@link streamBatchBodiesQuery} rows: batch, counts, then six JSON array bodies. */
export const BATCH_BODY_COLUMNS = [
  'batch',
  'adds',
  'removes',
  'add_user_ids',
  'add_device_ids',
  'add_aliases',
  'remove_user_ids',
  'remove_device_ids',
  'remove_aliases',
] as const;

interface BatchBodyInput {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  caps: SqlCapabilities;
  tables: StageTables;
  json: JsonBatchSql;
  /** First and last batch of this query, inclusive. */
  fromBatch: number;
  toBatch: number;
}

/**
 * One row per batch in `[fromBatch, toBatch]`, in batch order: the batch's
 * add and remove counts and, per op and id type, the comma-joined JSON
 * texts of its identifiers (NULL when none), ready to go between `[` and `]`
 * in a request body. The warehouse does the escaping; Node only concatenates.
 */
export function streamBatchBodiesQuery(input: BatchBodyInput): CompiledQuery {
  const { db, caps, json } = input;
  const id = json.quote(sql.ref('id'));
  const alias = sql`'{"alias_name":' || ${id} || ',"alias_label":' || ${json.quote(sql.ref('alias_label'))} || '}'`;
  const part = (op: string, idType: string, text: RawBuilder<unknown>) =>
    json.join(sql`CASE WHEN op = ${sql.lit(op)} AND id_type = ${sql.lit(idType)} THEN ${text} END`);
  const count = (op: string) =>
    sql`CAST(SUM(CASE WHEN op = ${sql.lit(op)} THEN 1 ELSE 0 END) AS ${sql.raw(caps.integerType)})`;
  return db
    .selectFrom(qualified(input.tables.schema, input.tables.changes))
    .select([
      'batch',
      count('add').as('adds'),
      count('remove').as('removes'),
      part('add', 'external_id', id).as('add_user_ids'),
      part('add', 'device_id', id).as('add_device_ids'),
      part('add', 'alias', alias).as('add_aliases'),
      part('remove', 'external_id', id).as('remove_user_ids'),
      part('remove', 'device_id', id).as('remove_device_ids'),
      part('remove', 'alias', alias).as('remove_aliases'),
    ])
    .where(sql<boolean>`batch BETWEEN ${sql.lit(input.fromBatch)} AND ${sql.lit(input.toBatch)}`)
    .groupBy('batch')
    .orderBy('batch')
    .compile();
}

/** A row of {@link streamBatchBodiesQuery} as a batch whose `cohort_changes` is already JSON. */
export function batchFromBodyRow(row: readonly unknown[]): EncodedBatch<CohortBody> {
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
    body: { json: `[${entries.join(',')}]` },
  };
}

/** One `cohort_changes` entry with only the arrays it needs, as toCohortChanges builds it. */
function entry(users: unknown, devices: unknown, aliases: unknown, remove: boolean): string | undefined {
  const parts: string[] = [];
  if (typeof users === 'string') parts.push(`"user_ids":[${users}]`);
  if (typeof devices === 'string') parts.push(`"device_ids":[${devices}]`);
  if (typeof aliases === 'string') parts.push(`"aliases":[${aliases}]`);
  if (parts.length === 0) return undefined;
  if (remove) parts.push('"should_remove":true');
  return `{${parts.join(',')}}`;
}
