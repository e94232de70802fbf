import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { SqlCapabilities } from '../sources/source.js';
import { createStageTable, qualified, type StageTables } from './stage-tables.js';

interface LimitInput {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  caps: SqlCapabilities;
  tables: StageTables;
  /** Keep at most this many changes. */
  limit: number;
  /** Changes per batch: the destination's batch limit. */
  batchSize: number;
}

/**
 * Cuts the changes stage table down to its first `limit` changes (in batch
 * order), renumbered into full batches, for `run --limit N`. The snapshot is
 * applied from this table, so it records just these; the next run's diff
 * finds the rest again. Copy out, drop, copy back: portable to every warehouse.
 */
export function limitChangesStatements(input: LimitInput): CompiledQuery[] {
  const { db, caps, tables } = input;
  const changes = sql.table(qualified(tables.schema, tables.changes));
  const limited = sql.table(qualified(tables.schema, tables.limited));
  const first = sql`SELECT op, id_type, id, alias_label,
  CAST(FLOOR((rn - 1) / ${sql.lit(input.batchSize)}) AS ${sql.raw(caps.integerType)}) AS batch
FROM (
  SELECT op, id_type, id, alias_label, ROW_NUMBER() OVER (ORDER BY batch, op, id_type, id, alias_label) AS rn
  FROM ${changes}
) AS numbered
WHERE rn <= ${sql.lit(input.limit)}`;
  const drop = (table: string) => db.schema.dropTable(qualified(tables.schema, table)).ifExists().compile();
  return [
    createStageTable(caps, tables.schema, tables.limited, first).compile(db),
    drop(tables.changes),
    createStageTable(
      caps,
      tables.schema,
      tables.changes,
      sql`SELECT op, id_type, id, alias_label, batch FROM ${limited}`,
    ).compile(db),
    drop(tables.limited),
  ];
}
