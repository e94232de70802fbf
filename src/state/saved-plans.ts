import type { Kysely } from 'kysely';
import type { Source } from '../sources/source.js';
import type { StateDatabase, SyncRunRow } from './state-database.js';

/** A run that changed the snapshot: what makes a saved plan stale. */
export type SnapshotChange = Pick<SyncRunRow, 'run_id' | 'status' | 'started_at' | 'added' | 'removed'>;

/** Reads what applying a saved plan (`run --plan-id`) needs to know from sync_runs. */
export class SavedPlans {
  private readonly db: Kysely<StateDatabase>;

  constructor(
    private readonly source: Source,
    schema: string,
  ) {
    this.db = source.db.withSchema(schema) as Kysely<StateDatabase>;
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
}
