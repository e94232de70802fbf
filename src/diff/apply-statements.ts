import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { inBatchRanges } from './change-statements.js';
import { qualified, type StageTables } from './stage-tables.js';

interface ApplyInput {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  schema: string;
  tables: StageTables;
  syncName: string;
  runId: string;
  /** Batches Braze confirmed since the last apply, as merged ranges. */
  ranges: readonly [number, number][];
}

/**
 * The set-based snapshot update for confirmed batches: one DELETE for the
 * removes, one INSERT for the adds, and their sync_changes rows marked
 * `sent`. Run in one transaction, after Braze confirmed those batches and
 * never before (invariant 1).
 */
export function applyConfirmedStatements(
  input: ApplyInput & {
    removes: boolean;
    adds: boolean;
    /**
     * The run re-sends changes earlier runs left unconfirmed, so an add may be for a member the
     * snapshot already holds: insert only the members it lacks. Default false: every add of a plain
     * diff is a member the snapshot lacks, and the check would cost a lookup per add.
     */
    addsMayBeHeld?: boolean;
  },
): CompiledQuery[] {
  const { db, schema, tables, syncName, runId, ranges } = input;
  const snapshot = qualified(schema, 'cohort_snapshot');
  const changes = qualified(tables.schema, tables.changes);
  const statements: CompiledQuery[] = [];
  if (input.removes) {
    statements.push(
      db
        .deleteFrom(snapshot)
        .where('sync_name', '=', syncName)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom(`${changes} as c`)
              .select(sql.lit(1).as('one'))
              .where('c.op', '=', 'remove')
              .where(inBatchRanges(ranges, 'c.batch'))
              .whereRef('c.id_type', '=', 'cohort_snapshot.id_type')
              .whereRef('c.id', '=', 'cohort_snapshot.id')
              .whereRef('c.alias_label', '=', 'cohort_snapshot.alias_label'),
          ),
        )
        .compile(),
    );
  }
  if (input.adds) {
    statements.push(
      db
        .insertInto(snapshot)
        .columns(['sync_name', 'id_type', 'id', 'alias_label', 'added_at', 'run_id'])
        .expression(
          db
            .selectFrom(`${changes} as c`)
            .select([
              sql.lit(syncName).as('sync_name'),
              'c.id_type',
              'c.id',
              'c.alias_label',
              sql`CURRENT_TIMESTAMP`.as('added_at'),
              sql.lit(runId).as('run_id'),
            ])
            .where('c.op', '=', 'add')
            .where(inBatchRanges(ranges, 'c.batch'))
            // One row per member, so the snapshot's size stays the cohort's size.
            .$if(input.addsMayBeHeld === true, (select) =>
              select.where((eb) =>
                eb.not(
                  eb.exists(
                    eb
                      .selectFrom(`${snapshot} as s`)
                      .select(sql.lit(1).as('one'))
                      .where('s.sync_name', '=', syncName)
                      .whereRef('s.id_type', '=', 'c.id_type')
                      .whereRef('s.id', '=', 'c.id')
                      .whereRef('s.alias_label', '=', 'c.alias_label'),
                  ),
                ),
              ),
            ),
        )
        .compile(),
    );
  }
  statements.push(markChangesStatement({ ...input, status: 'sent', error: null }));
  return statements;
}

/** Sets the status (and error text) of a run's sync_changes rows in the given batches. */
export function markChangesStatement(
  input: Omit<ApplyInput, 'tables' | 'syncName'> & { status: 'sent' | 'failed'; error: string | null },
): CompiledQuery {
  return input.db
    .updateTable(qualified(input.schema, 'sync_changes'))
    .set({ status: input.status, error: input.error })
    .where('run_id', '=', input.runId)
    .where(inBatchRanges(input.ranges))
    .compile();
}

/**
 * Forgets a sync's snapshot: used when its cohort id changed, because the
 * snapshot describes the old cohort and the new one starts empty in Braze.
 * Always safe: the snapshot then claims less than Braze, never more.
 */
export function clearSnapshotStatement(input: Pick<ApplyInput, 'db' | 'schema' | 'syncName'>): CompiledQuery {
  return input.db
    .deleteFrom(qualified(input.schema, 'cohort_snapshot'))
    .where('sync_name', '=', input.syncName)
    .compile();
}
