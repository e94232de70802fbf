import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { qualified, type ChangesStageRow, type StageTables } from '../diff/stage-tables.js';
import type { SqlCapabilities } from '../sources/source.js';
import { inBatchRanges } from './batch-ranges.js';
import { matchesChanges } from './matches-changes.js';
import { stateTables, type ChangeStatus } from './state-database.js';

/**
 * Records every change of the run in sync_changes as `not_sent`; statuses move as Braze confirms.
 * A saved plan records its changes as `planned` instead (`plan --save`).
 */
export function recordChangesStatement(input: {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a Source's db
  caps: SqlCapabilities;
  /** The state schema. */
  schema: string;
  tables: StageTables;
  syncName: string;
  runId: string;
  status?: 'not_sent' | 'planned';
}): CompiledQuery {
  const db = stateTables(input.db, input.schema);
  return db
    .insertInto('sync_changes')
    .columns([
      'run_id',
      'sync_name',
      'op',
      'id_type',
      'id',
      'alias_label',
      'batch',
      'status',
      'error',
      'created_at',
    ])
    .expression(
      db
        .selectFrom(qualified(input.tables.schema, input.tables.changes))
        .select([
          sql.lit(input.runId).as('run_id'),
          sql.lit(input.syncName).as('sync_name'),
          'op',
          'id_type',
          'id',
          'alias_label',
          'batch',
          sql.lit<ChangeStatus>(input.status ?? 'not_sent').as('status'),
          sql<string | null>`CAST(NULL AS ${sql.raw(input.caps.textType)})`.as('error'),
          sql<Date>`CURRENT_TIMESTAMP`.as('created_at'),
        ]),
    )
    .compile();
}

/** Sets the status (and error text) of a run's sync_changes rows in the given batches, or of `only` these changes of them. */
export function markChangesStatement(input: {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a Source's db
  /** The state schema. */
  schema: string;
  runId: string;
  ranges: readonly [number, number][];
  only?: readonly ChangesStageRow[];
  status: 'sent' | 'failed';
  error: string | null;
}): CompiledQuery {
  const { only } = input;
  return stateTables(input.db, input.schema)
    .updateTable('sync_changes')
    .set({ status: input.status, error: input.error })
    .where('run_id', '=', input.runId)
    .where(inBatchRanges(input.ranges))
    .$if(only !== undefined, (update) => update.where(matchesChanges(only ?? [])))
    .compile();
}
