import { sql, type CompiledQuery } from 'kysely';
import type { Source } from '../sources/source.js';
import { stateTables, type RunStatus, type StateKysely, type SyncRunRow } from './state-database.js';
import { timestampValue } from './timestamp-value.js';

/** How long a dry run may stay `running` before a run with the lock takes it for dead: a day. */
export const DRY_RUN_GRACE_MS = 86_400_000;

/** Columns of sync_runs that a run fills in as it goes. */
export type RunProgress = Partial<
  Pick<
    SyncRunRow,
    | 'status'
    | 'query_rows'
    | 'skipped_null'
    | 'skipped_duplicate'
    | 'skipped_invalid'
    | 'skip_reasons'
    | 'to_add'
    | 'to_remove'
    | 'added'
    | 'removed'
    | 'failed'
    | 'requests'
    | 'retries'
    | 'error'
    | 'bytes_processed'
    | 'bytes_billed'
  >
>;

/** Reads and writes the audit rows of sync_runs. */
export class RunAudit {
  private readonly db: StateKysely;

  constructor(
    private readonly source: Source,
    schema: string,
  ) {
    this.db = stateTables(source.db, schema);
  }

  async start(
    run: Pick<SyncRunRow, 'run_id' | 'sync_name' | 'cohort_id' | 'cohort_name' | 'trigger' | 'dry_run'> & {
      status?: RunStatus;
    },
  ): Promise<void> {
    await this.source.execute(
      this.db
        .insertInto('sync_runs')
        .values({
          ...run,
          status: run.status ?? 'running',
          started_at: sql<Date>`CURRENT_TIMESTAMP`,
          added: 0,
          removed: 0,
          failed: 0,
          requests: 0,
          retries: 0,
        })
        .compile(),
    );
  }

  /** The UPDATE for a run's progress; `finished` also stamps finished_at. */
  updateStatement(runId: string, progress: RunProgress, finished = false): CompiledQuery {
    const stamp = finished ? { finished_at: sql<Date>`CURRENT_TIMESTAMP` } : {};
    return this.db
      .updateTable('sync_runs')
      .set({ ...progress, ...stamp })
      .where('run_id', '=', runId)
      .compile();
  }

  async update(runId: string, progress: RunProgress, finished = false): Promise<void> {
    await this.source.execute(this.updateStatement(runId, progress, finished));
  }

  /**
   * Runs of a sync still marked `running` (other than `exceptRunId`) whose process is gone, for a run that
   * holds the sync's lock: every other run needs the lock, so one still `running` died. A dry run (`plan`)
   * takes no lock and may be going on in another process right now: it counts as dead only once it
   * started more than {@link DRY_RUN_GRACE_MS} ago, far longer than any plan takes.
   */
  async staleRuns(syncName: string, exceptRunId: string, now: Date = new Date()): Promise<string[]> {
    const graceStart = timestampValue(this.source.capabilities, new Date(now.getTime() - DRY_RUN_GRACE_MS));
    const rows = await this.source.execute<{ run_id: string }>(
      this.db
        .selectFrom('sync_runs')
        .select('run_id')
        .where('sync_name', '=', syncName)
        .where('status', '=', 'running')
        .where('run_id', '!=', exceptRunId)
        .where((eb) => eb.or([eb('dry_run', '=', false), eb('started_at', '<', graceStart)]))
        .compile(),
    );
    return rows.map((row) => row.run_id);
  }

  async markAbandoned(runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.source.execute(
      this.db
        .updateTable('sync_runs')
        .set({
          status: 'abandoned',
          finished_at: sql<Date>`CURRENT_TIMESTAMP`,
          error: 'the process running this sync stopped before it finished',
        })
        .where('run_id', 'in', runIds)
        .where('status', '=', 'running')
        .compile(),
    );
  }

  /**
   * Runs whose changes Braze may or may not have applied: runs of this sync
   * and cohort that ended `partial`, `failed`, `interrupted` or `abandoned`
   * after its last `succeeded` run, and recorded changes it did not confirm
   * (a run that failed before recording any — a refused plan, a query
   * error — sent nothing, so there is nothing to re-send for it). A request that timed out, lost its
   * connection or was in flight when the process died may have been applied
   * without the snapshot knowing; the next run re-sends those members with
   * their current state (see stageChangesStatement). A `succeeded` run sent
   * and confirmed all of them, so it resolves every earlier one.
   */
  async unresolvedRuns(syncName: string, cohortId: string, exceptRunId: string): Promise<string[]> {
    const ofThisCohort = this.db
      .selectFrom('sync_runs')
      .where('sync_name', '=', syncName)
      .where('cohort_id', '=', cohortId)
      .where('dry_run', '=', false);
    const rows = await this.source.execute<{ run_id: string }>(
      ofThisCohort
        .select('run_id')
        .where('status', 'in', ['partial', 'failed', 'interrupted', 'abandoned'])
        .where('run_id', '!=', exceptRunId)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('sync_changes')
              .select('sync_changes.run_id')
              .whereRef('sync_changes.run_id', '=', 'sync_runs.run_id')
              .where('sync_changes.status', '<>', 'sent'),
          ),
        )
        .where((eb) =>
          eb.or([
            eb.not(eb.exists(ofThisCohort.select('run_id').where('status', '=', 'succeeded'))),
            eb(
              'started_at',
              '>',
              ofThisCohort.select((s) => s.fn.max('started_at').as('last')).where('status', '=', 'succeeded'),
            ),
          ]),
        )
        .orderBy('started_at')
        .compile(),
    );
    return rows.map((row) => row.run_id);
  }

  /** The cohort id and name Braze last accepted for a sync, if any run got that far. */
  async lastDeliveredCohort(
    syncName: string,
  ): Promise<{ cohort_id: string; cohort_name: string } | undefined> {
    const rows = await this.source.execute<{ cohort_id: string; cohort_name: string }>(
      this.db
        .selectFrom('sync_runs')
        .select(['cohort_id', 'cohort_name'])
        .where('sync_name', '=', syncName)
        .where('dry_run', '=', false)
        .where('status', 'in', ['succeeded', 'partial'])
        .orderBy('started_at', 'desc')
        .limit(1)
        .compile(),
    );
    return rows[0];
  }

  /** Latest runs, newest first, optionally of some syncs only. */
  async latest(options: { limit: number; syncs?: readonly string[] }): Promise<SyncRunRow[]> {
    let query = this.db
      .selectFrom('sync_runs')
      .selectAll()
      .orderBy('started_at', 'desc')
      .limit(options.limit);
    if (options.syncs && options.syncs.length > 0) query = query.where('sync_name', 'in', options.syncs);
    return this.source.execute<SyncRunRow & Record<string, unknown>>(query.compile());
  }
}
