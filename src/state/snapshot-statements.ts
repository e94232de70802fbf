import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { qualified, type ChangesStageRow, type IdType, type StageTables } from '../diff/stage-tables.js';
import { inBatchRanges } from './batch-ranges.js';
import { matchesChanges } from './matches-changes.js';
import { markChangesStatement } from './sync-changes-statements.js';
import { stateTables, type CohortSnapshotRow, type StateKysely } from './state-database.js';

interface SnapshotInput {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a Source's db
  /** The state schema. */
  schema: string;
  syncName: string;
}

/** The snapshot's key columns, named by the bare table name as correlated subqueries reference them. */
type KeyColumn = 'id_type' | 'id' | 'alias_label';

/**
 * The set-based snapshot update for confirmed batches: one DELETE for the
 * removes, one INSERT for the adds, and their sync_changes rows marked
 * `sent`. Run in one transaction, after Braze confirmed those batches and
 * never before (invariant 1).
 */
export function applyConfirmedStatements(
  input: SnapshotInput & {
    tables: StageTables;
    runId: string;
    /** Batches Braze confirmed since the last apply, as merged ranges. */
    ranges: readonly [number, number][];
    removes: boolean;
    adds: boolean;
    /**
     * The run re-sends changes earlier runs left unconfirmed, so an add may be for a member the
     * snapshot already holds: insert only the members it lacks. Default false: every add of a plain
     * diff is a member the snapshot lacks, and the check would cost a lookup per add.
     */
    addsMayBeHeld?: boolean;
    /** Changes of those batches that the destination rejected: they stay out of the snapshot. */
    rejected?: readonly ChangesStageRow[];
  },
): CompiledQuery[] {
  const { syncName, runId, ranges } = input;
  const rejected = input.rejected ?? [];
  const db = stateTables(input.db, input.schema);
  const changes = `${qualified(input.tables.schema, input.tables.changes)} as c` as const;
  // The deleted table's columns by its bare name: withSchema would qualify them with the schema as
  // well, which GoogleSQL does not take in a column reference.
  const snapshotColumn = <C extends KeyColumn>(column: C) =>
    sql<CohortSnapshotRow[C]>`${sql.id('cohort_snapshot', column)}`;
  const statements: CompiledQuery[] = [];
  if (input.removes) {
    statements.push(
      db
        .deleteFrom('cohort_snapshot')
        .where('sync_name', '=', syncName)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom(changes)
              .select(sql.lit(1).as('one'))
              .where('c.op', '=', 'remove')
              .where(inBatchRanges(ranges, 'c.batch'))
              .$if(rejected.length > 0, (select) =>
                select.where((eb) => eb.not(matchesChanges(rejected, 'c'))),
              )
              .where('c.id_type', '=', snapshotColumn('id_type'))
              .where('c.id', '=', snapshotColumn('id'))
              .where('c.alias_label', '=', snapshotColumn('alias_label')),
          ),
        )
        .compile(),
    );
  }
  if (input.adds) {
    statements.push(
      db
        .insertInto('cohort_snapshot')
        .columns(['sync_name', 'id_type', 'id', 'alias_label', 'added_at', 'run_id'])
        .expression(
          db
            .selectFrom(changes)
            .select([
              sql.lit(syncName).as('sync_name'),
              'c.id_type',
              'c.id',
              'c.alias_label',
              sql<Date>`CURRENT_TIMESTAMP`.as('added_at'),
              sql.lit(runId).as('run_id'),
            ])
            .where('c.op', '=', 'add')
            .where(inBatchRanges(ranges, 'c.batch'))
            .$if(rejected.length > 0, (select) => select.where((eb) => eb.not(matchesChanges(rejected, 'c'))))
            // One row per member, so the snapshot's size stays the cohort's size.
            .$if(input.addsMayBeHeld === true, (select) =>
              select.where((eb) => eb.not(eb.exists(snapshotRowsOfMember(db, syncName)))),
            ),
        )
        .compile(),
    );
  }
  statements.push(markChangesStatement({ ...input, status: 'sent', error: null }));
  return statements;
}

/**
 * The snapshot rows of a sync for the member of the enclosing query's row `c` (a change), for a
 * correlated `EXISTS`: whether the snapshot holds that member.
 */
export function snapshotRowsOfMember(db: StateKysely, syncName: string) {
  return db
    .selectFrom('cohort_snapshot as s')
    .select(sql.lit(1).as('one'))
    .where('s.sync_name', '=', syncName)
    .where('s.id_type', '=', sql.ref<IdType>('c.id_type'))
    .where('s.id', '=', sql.ref<string>('c.id'))
    .where('s.alias_label', '=', sql.ref<string>('c.alias_label'));
}

/**
 * Forgets a sync's snapshot: used when its cohort id changed, because the
 * snapshot describes the old cohort and the new one starts empty in Braze.
 * Always safe: the snapshot then claims less than Braze, never more.
 */
export function clearSnapshotStatement(input: SnapshotInput): CompiledQuery {
  return stateTables(input.db, input.schema)
    .deleteFrom('cohort_snapshot')
    .where('sync_name', '=', input.syncName)
    .compile();
}

/** Members the snapshot holds for a sync. */
export function snapshotSizeQuery(input: SnapshotInput): CompiledQuery<{ members: number }> {
  return stateTables(input.db, input.schema)
    .selectFrom('cohort_snapshot')
    .select(sql<number>`COUNT(*)`.as('members'))
    .where('sync_name', '=', input.syncName)
    .compile();
}
