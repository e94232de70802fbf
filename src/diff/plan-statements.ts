import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { SqlCapabilities } from '../sources/source.js';
import { createStageTable, qualified, type StageTables } from './stage-tables.js';

interface PlanInput {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  caps: SqlCapabilities;
  schema: string;
  /** The run id of the dry run that saved the plan. */
  planId: string;
}

/** CREATE TABLE … AS the saved plan's changes, with their batch numbers, as the changes stage table of the run applying it. */
export function stagePlanStatement(input: PlanInput & { tables: StageTables }): CompiledQuery {
  const { db, caps, schema } = input;
  const select = sql`SELECT op, id_type, id, alias_label, batch
FROM ${sql.table(qualified(schema, 'sync_changes'))}
WHERE run_id = ${input.planId} AND status = 'planned'`;
  return createStageTable(caps, input.tables.schema, input.tables.changes, select).compile(db);
}

/** How many planned changes the plan holds. */
export function plannedCountQuery(input: PlanInput): CompiledQuery {
  return input.db
    .selectFrom(qualified(input.schema, 'sync_changes'))
    .select(sql`COUNT(*)`.as('changes'))
    .where('run_id', '=', input.planId)
    .where('status', '=', 'planned')
    .compile();
}

/**
 * Planned changes that no longer fit the snapshot: adds of users it already
 * holds, removes of users it no longer holds. Zero means the plan still
 * describes exactly the step from the snapshot to the planned audience.
 */
export function planConflictsQuery(input: PlanInput & { syncName: string }): CompiledQuery {
  const { db, schema } = input;
  const inSnapshot = sql`EXISTS (SELECT 1 FROM ${sql.table(qualified(schema, 'cohort_snapshot'))} AS s
    WHERE s.sync_name = ${input.syncName} AND s.id_type = c.id_type AND s.id = c.id AND s.alias_label = c.alias_label)`;
  return db
    .selectFrom(`${qualified(schema, 'sync_changes')} as c`)
    .select(sql`COUNT(*)`.as('conflicts'))
    .where('c.run_id', '=', input.planId)
    .where('c.status', '=', 'planned')
    .where(sql<boolean>`((c.op = 'add' AND ${inSnapshot}) OR (c.op = 'remove' AND NOT ${inSnapshot}))`)
    .compile();
}
