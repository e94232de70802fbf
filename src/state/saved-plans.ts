import { sql } from 'kysely';
import { createStageTable, type StageTables } from '../diff/stage-tables.js';
import type { Source } from '../sources/source.js';
import { snapshotRowsOfMember } from './snapshot-statements.js';
import { stateTables, type StateKysely, type SyncRunRow } from './state-database.js';

/** A run that changed the snapshot: what makes a saved plan stale. */
export type SnapshotChange = Pick<SyncRunRow, 'run_id' | 'status' | 'started_at' | 'added' | 'removed'>;

/**
 * What applying a saved plan (`run --plan-id`) reads from the state tables: the plan's sync_runs row,
 * its `planned` sync_changes rows, and whether the snapshot moved since.
 */
export class SavedPlans {
  private readonly db: StateKysely;

  constructor(
    private readonly source: Source,
    schema: string,
  ) {
    this.db = stateTables(source.db, schema);
  }

  /** The sync_runs row of a plan (the dry run that saved it), if there is one. */
  async find(planId: string): Promise<SyncRunRow | undefined> {
    const rows = await this.source.execute<SyncRunRow & Record<string, unknown>>(
      this.db.selectFrom('sync_runs').selectAll().where('run_id', '=', planId).compile(),
    );
    return rows[0];
  }

  /**
   * The first real run of a sync that changed its snapshot after the plan
   * was made: any run that was still applying changes then counts.
   */
  async snapshotChangedSince(
    syncName: string,
    planId: string,
    exceptRunId: string,
  ): Promise<SnapshotChange | undefined> {
    const planned = this.db.selectFrom('sync_runs').select('started_at').where('run_id', '=', planId);
    const rows = await this.source.execute<SnapshotChange & Record<string, unknown>>(
      this.db
        .selectFrom('sync_runs')
        .select(['run_id', 'status', 'started_at', 'added', 'removed'])
        .where('sync_name', '=', syncName)
        .where('dry_run', '=', false)
        .where('run_id', '!=', exceptRunId)
        .where((eb) => eb.or([eb('finished_at', 'is', null), eb('finished_at', '>', planned)]))
        .where((eb) => eb(eb('added', '+', eb.ref('removed')), '>', 0))
        .orderBy('started_at')
        .limit(1)
        .compile(),
    );
    return rows[0];
  }

  /** How many planned changes the plan still holds in sync_changes. */
  async plannedChanges(planId: string): Promise<number> {
    const [row] = await this.source.execute(
      this.planned(planId)
        .select(sql<number>`COUNT(*)`.as('changes'))
        .compile(),
    );
    return Number(row?.changes ?? 0);
  }

  /**
   * Planned changes that no longer fit the snapshot: adds of users it already
   * holds, removes of users it no longer holds. Zero means the plan still
   * describes exactly the step from the snapshot to the planned audience.
   */
  async conflicts(planId: string, syncName: string): Promise<number> {
    const held = snapshotRowsOfMember(this.db, syncName);
    const [row] = await this.source.execute(
      this.db
        .selectFrom('sync_changes as c')
        .select(sql<number>`COUNT(*)`.as('conflicts'))
        .where('c.run_id', '=', planId)
        .where('c.status', '=', 'planned')
        .where((eb) =>
          eb.or([
            eb.and([eb('c.op', '=', 'add'), eb.exists(held)]),
            eb.and([eb('c.op', '=', 'remove'), eb.not(eb.exists(held))]),
          ]),
        )
        .compile(),
    );
    return Number(row?.conflicts ?? 0);
  }

  /** Creates the run's changes stage table from the plan's changes, batch numbers included. */
  async stage(planId: string, tables: StageTables): Promise<void> {
    const changes = this.planned(planId).select(['op', 'id_type', 'id', 'alias_label', 'batch']);
    const caps = this.source.capabilities;
    await this.source.execute(
      createStageTable(caps, tables.schema, tables.changes, sql`${changes}`).compile(this.db),
    );
  }

  private planned(planId: string) {
    return this.db.selectFrom('sync_changes').where('run_id', '=', planId).where('status', '=', 'planned');
  }
}
