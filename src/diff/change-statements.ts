import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { SqlCapabilities } from '../sources/source.js';
import { createStageTable, qualified, type MemberChange, type StageTables } from './stage-tables.js';

interface ChangeInput {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  caps: SqlCapabilities;
  schema: string;
  tables: StageTables;
  syncName: string;
}

/**
 * CREATE TABLE … AS the run's changes: valid members not in the snapshot
 * (add) and snapshot members no longer in the result (remove), numbered
 * into batches of `batchSize` (the destination's batch limit). A batch may
 * mix adds and removes: they are different users, and one request carries both.
 *
 * Members with an unconfirmed change in `unresolvedRuns` are in an unknown
 * state in Braze (the request may have been applied without an answer), so
 * the snapshot's word on them does not count: each is sent again with its
 * current state, add if the query returns it, remove if not. Without this a
 * member whose removal was applied but not confirmed, and who then came back
 * into the query, would never be added again.
 */
export function stageChangesStatement(
  input: ChangeInput & {
    /** Changes per batch: the destination's batch limit. */
    batchSize: number;
    /** Diff against nothing (the cohort id changed). */ emptySnapshot?: boolean;
    /** Earlier runs whose unconfirmed changes are re-sent (RunAudit.unresolvedRuns). */
    unresolvedRuns?: readonly string[];
  },
): CompiledQuery {
  const { db, caps, schema, tables } = input;
  const { batchSize } = input;
  const members = sql`SELECT id_type, id, alias_label FROM ${sql.table(qualified(tables.schema, tables.members))} WHERE verdict = 'valid'`;
  const snapshot = sql`SELECT id_type, id, alias_label FROM ${sql.table(qualified(schema, 'cohort_snapshot'))} WHERE sync_name = ${input.syncName}${input.emptySnapshot ? sql` AND 1 = 0` : sql``}`;
  const except = sql.raw(caps.exceptKeyword);
  const runs = input.unresolvedRuns ?? [];
  let adds = sql`${members} ${except} ${snapshot}`;
  let removes = sql`${snapshot} ${except} ${members}`;
  if (runs.length > 0) {
    const unconfirmed = sql`SELECT id_type, id, alias_label FROM ${sql.table(qualified(schema, 'sync_changes'))} WHERE sync_name = ${input.syncName} AND status <> 'sent' AND run_id IN (${sql.join(runs)})`;
    adds = sql`${members} ${except} SELECT id_type, id, alias_label FROM (${snapshot} ${except} ${unconfirmed}) AS certain`;
    removes = sql`SELECT id_type, id, alias_label FROM (${snapshot} UNION ALL ${unconfirmed}) AS claimed ${except} ${members}`;
  }
  const select = sql`SELECT op, id_type, id, alias_label,
  CAST(FLOOR((ROW_NUMBER() OVER ${sql.raw(caps.changeNumberWindow ?? '()')} - 1) / ${sql.lit(batchSize)}) AS ${sql.raw(caps.integerType)}) AS batch
FROM (
  SELECT 'add' AS op, a.id_type, a.id, a.alias_label FROM (${adds}) AS a
  UNION ALL
  SELECT 'remove' AS op, r.id_type, r.id, r.alias_label FROM (${removes}) AS r
) AS d`;
  return createStageTable(caps, tables.schema, tables.changes, select).compile(db);
}

/** Counts of adds and removes in the changes stage table. */
export function changeCountsQuery(input: ChangeInput): CompiledQuery {
  return input.db
    .selectFrom(qualified(input.tables.schema, input.tables.changes))
    .select(['op', sql`COUNT(*)`.as('changes'), sql`MAX(batch)`.as('last_batch')])
    .groupBy('op')
    .compile();
}

/** The column order of {@link streamChangesQuery} rows. */
export const CHANGE_COLUMNS = ['op', 'id_type', 'id', 'alias_label', 'batch'] as const;

/** The changes in batch order, for streaming to Braze; `sampleSize` limits each op for previews. */
export function streamChangesQuery(input: ChangeInput): CompiledQuery {
  return input.db
    .selectFrom(qualified(input.tables.schema, input.tables.changes))
    .select([...CHANGE_COLUMNS])
    .orderBy('batch')
    .compile();
}

/** The changes of one batch, for a destination that needs them one by one. */
export function batchChangesQuery(input: ChangeInput & { batch: number }): CompiledQuery<MemberChange> {
  return input.db
    .selectFrom(qualified(input.tables.schema, input.tables.changes))
    .select(['op', 'id_type', 'id', 'alias_label'])
    .where('batch', '=', input.batch)
    .compile();
}

/** A few changes of one op, for `plan` previews. */
export function sampleChangesQuery(
  input: ChangeInput & { op: 'add' | 'remove'; limit: number },
): CompiledQuery {
  return input.db
    .selectFrom(qualified(input.tables.schema, input.tables.changes))
    .select(['id_type', 'id', 'alias_label'])
    .where('op', '=', input.op)
    .orderBy('id')
    .limit(input.limit)
    .compile();
}
