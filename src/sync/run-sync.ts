import { randomUUID } from 'node:crypto';
import type { CompiledQuery } from 'kysely';
import type { SyncConfig } from '../config/types.js';
import {
  applyConfirmedStatements,
  clearSnapshotStatement,
  markChangesStatement,
} from '../diff/apply-statements.js';
import { batchRanges } from '../diff/batch-ranges.js';
import {
  MAX_IDS_PER_REQUEST,
  changeCountsQuery,
  recordChangesStatement,
  sampleChangesQuery,
  stageChangesStatement,
} from '../diff/change-statements.js';
import { resolveIdentifierColumns, unusableIdentifierColumn } from '../diff/identifier-columns.js';
import {
  SKIP_VERDICTS,
  dropTableStatement,
  snapshotSizeQuery,
  stageCountsQuery,
  stageMembersStatement,
  type Verdict,
} from '../diff/stage-statements.js';
import { stageSchemaFor, stageTables, type StageTables } from '../diff/stage-tables.js';
import { limitChangesStatements } from '../diff/limit-statements.js';
import { CohortSyncError, SyncLockedError, WarehouseError, errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SendResult } from '../destinations/braze-cohort/braze-cohort-client.js';
import type { CohortChange, CohortChangesJson } from '../destinations/braze-cohort/wire-types.js';
import { meteringQueries, type QueryUsage } from '../sources/query-usage.js';
import type { QueryColumn, Source } from '../sources/source.js';
import { labellingStatements, type StatementLabels } from '../sources/statement-labels.js';
import { RunAudit, type RunProgress } from '../state/run-audit.js';
import type { RunStatus, RunTrigger } from '../state/state-database.js';
import { acquireSyncLock, type SyncLock } from '../state/sync-lock.js';
import { crashTestPause } from './crash-test-pause.js';
import { Checkpoints, type PendingBatches, type SendTotals } from './checkpoints.js';
import { guardrailViolation } from './guardrails.js';
import { outgoingBatches } from './outgoing-batches.js';
import { stageSavedPlan } from './saved-plan.js';
import { sendBatches, type SendSummary } from './send-batches.js';
import type { SyncEvent, SyncEventHandler } from './sync-events.js';

/** What a run needs from Braze: the client satisfies it, and so can a test double. */
export interface CohortSink {
  upsertCohort(cohort: { id: string; name: string; createdAt: Date }): Promise<SendResult>;
  sendChanges(cohortId: string, changes: CohortChange[] | CohortChangesJson): Promise<SendResult>;
}

export interface SyncEnvironment {
  source: Source;
  /** The state schema. */
  schema: string;
  sink: CohortSink;
  /** Requests in flight at once. */
  concurrency: number;
  logger: Logger;
  /** Aborting stops reading new batches; requests in flight finish and confirmed batches are applied. */
  signal?: AbortSignal;
  /** Observers of the run's progress (progress bar, metrics, alerts). */
  onEvent?: SyncEventHandler;
  /**
   * Applied to every error text the run stores or reports: a query or a warehouse message can carry an
   * interpolated secret, which must not reach sync_runs, sync_changes or an alert.
   */
  redact?: (text: string) => string;
}

export interface RunSyncOptions {
  trigger?: RunTrigger;
  /** Compute and audit the changes, send nothing, leave the snapshot alone. */
  dryRun?: boolean;
  /** Override every guardrail for this run. */
  allowMassRemoval?: boolean;
  /** With dryRun: how many ids of each kind to return as a sample. */
  sample?: number;
  /** Confirmed batches between snapshot checkpoints. Default 100 (100,000 changes). */
  checkpointEvery?: number;
  /** Least time between the starts of two checkpoint writes. Default 1,000 ms. */
  checkpointMinIntervalMs?: number;
  /** With dryRun: save the changes as a plan (sync_changes rows with status `planned`; plan id = run id). */
  savePlan?: boolean;
  /** Send exactly this saved plan instead of diffing, if the snapshot has not moved since it was made. */
  planId?: string;
  /** Send at most this many changes; the snapshot records just those, the next run sends the rest. */
  limit?: number;
}

export interface MemberKey {
  id_type: string;
  id: string;
  alias_label: string;
}

export interface SyncReport {
  sync: string;
  run_id: string;
  status: RunStatus;
  dry_run: boolean;
  query_rows: number;
  skipped_null: number;
  skipped_duplicate: number;
  skipped_invalid: number;
  skip_reasons: string | null;
  /** Distinct valid members the query returned. */
  members: number;
  /** Members the snapshot held before the run. */
  snapshot_size: number;
  to_add: number;
  to_remove: number;
  added: number;
  removed: number;
  failed: number;
  requests: number;
  retries: number;
  error: string | null;
  samples?: { add: MemberKey[]; remove: MemberKey[] };
}

/**
 * One run of one sync, in the order of DESIGN.md: lock → audit start →
 * stage the query result → diff against the snapshot → guardrails → send
 * batches → apply confirmed batches to the snapshot → audit → unlock.
 */
export async function runSync(
  env: SyncEnvironment,
  sync: SyncConfig,
  options: RunSyncOptions = {},
): Promise<SyncReport> {
  const usage: QueryUsage = { jobs: 0, bytesProcessed: 0, bytesBilled: 0 };
  const run = new SyncRun(env, sync, options, usage);
  return meteringQueries(usage, () => labellingStatements(run.labels, () => run.execute())).catch(
    (error: unknown) => {
      // Warehouse errors outside a named step (the lock, the audit) still name the sync; bugs stay as they are.
      throw error instanceof WarehouseError && error.sync === undefined
        ? namingSync(error, sync, 'the run')
        : error;
    },
  );
}

/** An error of a warehouse step as a WarehouseError naming the sync and the step; ours that name it pass. */
function namingSync(error: unknown, sync: SyncConfig, step: string): unknown {
  if (error instanceof CohortSyncError && !(error instanceof WarehouseError && error.sync === undefined))
    return error;
  const origin = sync.query_file ? ` (query file ${sync.query_file})` : '';
  return new WarehouseError(`sync "${sync.name}"${origin}: ${step} failed: ${errorMessage(error)}`, {
    code: error instanceof CohortSyncError ? error.code : undefined,
    retryable: error instanceof CohortSyncError ? error.retryable : undefined,
    sync: sync.name,
    queryFile: sync.query_file,
    cause: error,
  });
}

/** A report with every count at zero, for a run that has done nothing yet (or never will). */
export function emptyReport(
  sync: string,
  runId: string,
  status: RunStatus,
  dryRun: boolean,
  error: string | null = null,
): SyncReport {
  return {
    sync,
    run_id: runId,
    status,
    dry_run: dryRun,
    query_rows: 0,
    skipped_null: 0,
    skipped_duplicate: 0,
    skipped_invalid: 0,
    skip_reasons: null,
    members: 0,
    snapshot_size: 0,
    to_add: 0,
    to_remove: 0,
    added: 0,
    removed: 0,
    failed: 0,
    requests: 0,
    retries: 0,
    error,
  };
}

class SyncRun {
  private readonly runId = randomUUID();
  private readonly tables: StageTables;
  private readonly audit: RunAudit;
  private readonly log: Logger;
  private readonly dryRun: boolean;
  private readonly report: SyncReport;
  /** The cohort Braze last accepted for this sync, if any run got that far. */
  private previousCohort: { cohort_id: string; cohort_name: string } | undefined;
  /** The cohort id changed since the snapshot was written: diff against an empty cohort. */
  private cohortIdChanged = false;
  /** This run re-sends changes earlier runs left unconfirmed (see stageChangesStatement). */
  private resendsUnconfirmed = false;
  /** Aborted if the sync lock is lost mid-run: sending stops, another run may have started. */
  private lockLost: AbortSignal | undefined;
  /** The highest batch number of this run's changes (-1 when none). */
  private lastBatch = -1;
  /** Changes this run sends: all of them, or the first `limit`. */
  private toSend = 0;

  constructor(
    private readonly env: SyncEnvironment,
    private readonly sync: SyncConfig,
    private readonly options: RunSyncOptions,
    /** Bytes the warehouse reported for this run's jobs so far (BigQuery bills by them). */
    private readonly usage: QueryUsage,
  ) {
    this.audit = new RunAudit(env.source, env.schema);
    this.tables = stageTables(this.runId, stageSchemaFor(env.source.capabilities, env.schema));
    this.log = env.logger.child({ sync: sync.name, run: this.runId.slice(0, 8) });
    this.dryRun = options.dryRun ?? false;
    this.report = emptyReport(sync.name, this.runId, 'running', this.dryRun);
  }

  /** What the run's warehouse statements are labelled with (Snowflake's QUERY_TAG). */
  get labels(): StatementLabels {
    return { sync: this.sync.name, runId: this.runId };
  }

  async execute(): Promise<SyncReport> {
    let lock: SyncLock | undefined;
    if (!this.dryRun) {
      try {
        lock = await acquireSyncLock(this.env.source, this.env.schema, this.sync.name, this.runId);
      } catch (error) {
        if (error instanceof SyncLockedError) return this.skipped(error);
        throw error;
      }
    }
    try {
      this.lockLost = lock?.lost;
      if (lock) await this.cleanUpDeadRuns();
      await this.audit.start({ ...this.runRow(), dry_run: this.dryRun });
      this.emit({ type: 'run_started', sync: this.sync.name, run_id: this.runId, dry_run: this.dryRun });
      try {
        await (this.options.planId ? this.stagePlan(this.options.planId) : this.stageAndDiff());
        await this.applyLimit();
        const violation = this.options.allowMassRemoval
          ? undefined
          : guardrailViolation(this.guardrailInput(), this.sync.guardrails);
        if (violation) return await this.finish('aborted', `guardrail: ${violation}`);
        if (this.dryRun) {
          if (this.options.sample) this.report.samples = await this.samples(this.options.sample);
          if (this.options.savePlan)
            await this.env.source.execute(
              recordChangesStatement({ ...this.changeInput(), runId: this.runId, status: 'planned' }),
            );
          return await this.finish('succeeded', null);
        }
        return await this.deliver();
      } catch (error) {
        this.log.error(errorMessage(error));
        return await this.finish('failed', errorMessage(error)).catch((recordError: unknown) => {
          // The warehouse could not take the failure either (connection gone): report the cause, not the echo.
          this.log.error(`could not record the failure in sync_runs: ${errorMessage(recordError)}`);
          throw error;
        });
      } finally {
        await this.dropStageTables().catch((error: unknown) =>
          this.log.warn(`could not drop stage tables: ${errorMessage(error)}`),
        );
      }
    } finally {
      await lock?.release();
    }
  }

  private runRow() {
    return {
      run_id: this.runId,
      sync_name: this.sync.name,
      cohort_id: this.sync.cohort_id,
      cohort_name: this.sync.cohort_name,
      trigger: this.options.trigger ?? 'manual',
    } as const;
  }

  /** Invariant 3: we hold the lock, so any run still marked `running` died; mark it and drop its stage tables. */
  private async cleanUpDeadRuns(): Promise<void> {
    const dead = await this.audit.staleRuns(this.sync.name, this.runId);
    if (dead.length === 0) return;
    this.log.warn(`marking ${dead.length} earlier run(s) abandoned: ${dead.join(', ')}`);
    await this.audit.markAbandoned(dead);
    for (const runId of dead) {
      await this.dropStageTables(stageTables(runId, this.tables.schema));
    }
  }

  private async stageAndDiff(): Promise<void> {
    const { source } = this.env;
    const described = await this.queryColumns();
    const columns = resolveIdentifierColumns(
      described.map((column) => column.name),
      this.sync.identifiers,
    );
    const problem = columns.ok
      ? unusableIdentifierColumn(described, columns.columns, source.capabilities.textType)
      : columns.message;
    if (problem !== undefined || !columns.ok)
      throw new WarehouseError(`sync "${this.sync.name}"${this.queryOrigin()}: ${problem}`, {
        code: 'QUERY_COLUMNS',
        sync: this.sync.name,
        queryFile: this.sync.query_file,
      });

    this.log.info('staging query result');
    await this.inWarehouse('staging the query result', () =>
      this.createStage(
        stageMembersStatement({
          ...this.stageInput(this.tables.members),
          userSql: this.sync.query,
          columns: columns.columns,
          described,
        }),
      ),
    );
    this.countAudience(
      await source.execute<{ verdict: Verdict; rows: number; identities: number }>(
        stageCountsQuery(this.stageInput(this.tables.members)),
      ),
    );
    await this.forgetSnapshotOfOtherCohort();
    const [snapshot] = await source.execute<{ members: number }>(
      snapshotSizeQuery({ ...this.sqlInput(''), syncName: this.sync.name }),
    );
    this.report.snapshot_size = this.cohortIdChanged ? 0 : Number(snapshot?.members ?? 0);

    const unresolvedRuns = await this.audit.unresolvedRuns(this.sync.name, this.sync.cohort_id, this.runId);
    this.resendsUnconfirmed = unresolvedRuns.length > 0;
    if (unresolvedRuns.length > 0)
      this.log.info(
        `re-sending the members whose changes ${unresolvedRuns.length} earlier run(s) left unconfirmed`,
      );
    await this.inWarehouse('computing changes', () =>
      this.createStage(
        stageChangesStatement({ ...this.changeInput(), emptySnapshot: this.cohortIdChanged, unresolvedRuns }),
      ),
    );
    for (const row of await source.execute<{ op: string; changes: number; last_batch: number }>(
      changeCountsQuery(this.changeInput()),
    )) {
      this.lastBatch = Math.max(this.lastBatch, Number(row.last_batch));
      if (row.op === 'add') this.report.to_add = Number(row.changes);
      else this.report.to_remove = Number(row.changes);
    }
    this.log.info(
      `${this.report.query_rows} rows, ${this.report.members} members; ${this.report.to_add} to add, ${this.report.to_remove} to remove`,
    );
    await this.diffComputed();
  }

  /** `run --plan-id`: the saved plan's changes instead of a fresh diff, refused if the snapshot moved since. */
  private async stagePlan(planId: string): Promise<void> {
    this.log.info(`applying saved plan ${planId}`);
    await this.forgetSnapshotOfOtherCohort();
    const [snapshot] = await this.env.source.execute<{ members: number }>(
      snapshotSizeQuery({ ...this.sqlInput(''), syncName: this.sync.name }),
    );
    this.report.snapshot_size = Number(snapshot?.members ?? 0);
    const counts = await stageSavedPlan({
      ...this.env,
      sync: this.sync,
      tables: this.tables,
      runId: this.runId,
      planId,
    });
    for (const row of await this.env.source.execute<{ last_batch: number }>(
      changeCountsQuery(this.changeInput()),
    ))
      this.lastBatch = Math.max(this.lastBatch, Number(row.last_batch));
    Object.assign(this.report, counts);
    await this.diffComputed();
  }

  /** Records the audience and change counts in sync_runs and tells the observers. */
  private async diffComputed(): Promise<void> {
    await this.audit.update(this.runId, this.countsProgress());
    const { query_rows, members, to_add, to_remove } = this.report;
    this.emit({
      type: 'diff_computed',
      sync: this.sync.name,
      run_id: this.runId,
      query_rows,
      members,
      to_add,
      to_remove,
    });
  }

  /** `run --limit N`: keep only the first N changes in the changes table, so only they are sent and applied. */
  private async applyLimit(): Promise<void> {
    const total = this.report.to_add + this.report.to_remove;
    const { limit } = this.options;
    this.toSend = limit === undefined ? total : Math.min(total, limit);
    if (this.toSend === total || this.dryRun) return;
    this.log.info(`sending ${this.toSend} of ${total} changes (--limit); the next run sends the rest`);
    this.lastBatch = Math.ceil(this.toSend / MAX_IDS_PER_REQUEST) - 1;
    for (const statement of limitChangesStatements({ ...this.changeInput(), limit: this.toSend }))
      await this.inWarehouse('limiting the changes', () => this.env.source.execute(statement));
  }

  /**
   * Creates a stage table inside a transaction where the warehouse allows DDL in one: if this process dies
   * while the statement runs, the server rolls the table back when it finds the client gone, instead of
   * committing it afterwards as a leftover no later run knows to drop.
   */
  private async createStage(statement: CompiledQuery): Promise<void> {
    const { source } = this.env;
    if (source.capabilities.transactionalDdl) await source.transaction((tx) => tx.execute(statement));
    else await source.execute(statement);
  }

  /** A changed cohort_id starts a new, empty cohort in Braze; the old snapshot describes the old one. */
  private async forgetSnapshotOfOtherCohort(): Promise<void> {
    this.previousCohort = await this.audit.lastDeliveredCohort(this.sync.name);
    const previousId = this.previousCohort?.cohort_id;
    if (previousId === undefined || previousId === this.sync.cohort_id) return;
    this.cohortIdChanged = true;
    this.log.warn(
      `cohort_id changed from ${previousId} to ${this.sync.cohort_id}: the new cohort starts empty; ${previousId} is left as it is in Braze`,
    );
    if (!this.dryRun)
      await this.env.source.execute(
        clearSnapshotStatement({ db: this.env.source.db, schema: this.env.schema, syncName: this.sync.name }),
      );
  }

  /** The query's columns, with their types when the source can tell (identifier types are then checked). */
  private async queryColumns(): Promise<QueryColumn[]> {
    const { source } = this.env;
    return this.inWarehouse('reading the query columns', async () =>
      source.describeColumns
        ? source.describeColumns(this.sync.query)
        : (await source.columnsOf(this.sync.query)).map((name) => ({ name, type: '', identifier: true })),
    );
  }

  private countAudience(rows: { verdict: Verdict; rows: number; identities: number }[]): void {
    const reasons: string[] = [];
    for (const row of rows) {
      const count = Number(row.rows);
      this.report.query_rows += count;
      if (row.verdict === 'valid') {
        this.report.members = Number(row.identities);
        this.report.skipped_duplicate = count - Number(row.identities);
      } else if (row.verdict === 'null') {
        this.report.skipped_null = count;
      } else {
        this.report.skipped_invalid += count;
        reasons.push(`${SKIP_VERDICTS[row.verdict]}: ${count}`);
      }
    }
    this.report.skip_reasons = reasons.length > 0 ? reasons.sort().join('; ') : null;
  }

  private guardrailInput() {
    const { query_rows, members, snapshot_size, to_remove } = this.report;
    return { queryRows: query_rows, members, snapshotSize: snapshot_size, toRemove: to_remove };
  }

  private async samples(limit: number): Promise<{ add: MemberKey[]; remove: MemberKey[] }> {
    const sample = (op: 'add' | 'remove') =>
      this.env.source.execute<MemberKey & Record<string, unknown>>(
        sampleChangesQuery({ ...this.changeInput(), op, limit }),
      );
    return { add: await sample('add'), remove: await sample('remove') };
  }

  /** Sends the changes and applies what Braze confirmed; the snapshot never gets ahead of Braze. */
  private async deliver(): Promise<SyncReport> {
    const { source } = this.env;
    const changes = this.toSend;
    await this.ensureCohort(changes);
    if (changes === 0) return this.finish('succeeded', null);

    await source.execute(recordChangesStatement({ ...this.changeInput(), runId: this.runId }));
    const checkpoints = new Checkpoints(
      (batches, totals) => this.applyBatches(batches, totals),
      this.options.checkpointEvery ?? 100,
      this.options.checkpointMinIntervalMs ?? 1000,
    );
    this.log.info(`sending ${changes} changes to cohort ${this.sync.cohort_id}`);
    const summary = await sendBatches({
      batches: outgoingBatches({
        source,
        schema: this.env.schema,
        tables: this.tables,
        syncName: this.sync.name,
        lastBatch: this.lastBatch,
      }),
      send: (cohortChanges) => this.env.sink.sendChanges(this.sync.cohort_id, cohortChanges),
      concurrency: this.env.concurrency,
      signal:
        this.lockLost && this.env.signal
          ? AbortSignal.any([this.env.signal, this.lockLost])
          : (this.lockLost ?? this.env.signal),
      onConfirmed: (result) => {
        checkpoints.confirm(result);
        this.emitProgress(checkpoints, changes);
      },
      onFailed: (result) => {
        this.log.warn(`batch ${result.batch} failed: ${result.error}`);
        checkpoints.fail(result);
        this.emitProgress(checkpoints, changes);
      },
    });
    this.report.requests += summary.requests;
    this.report.retries += summary.retries;
    return this.finishDelivery(summary, checkpoints);
  }

  /** Creates the cohort before the first write and renames it when the name changed; harmless to repeat. */
  private async ensureCohort(changes: number): Promise<void> {
    const last = this.previousCohort;
    const known = last?.cohort_id === this.sync.cohort_id && last.cohort_name === this.sync.cohort_name;
    if (changes === 0 && known) return;
    const result = await this.env.sink
      .upsertCohort({ id: this.sync.cohort_id, name: this.sync.cohort_name, createdAt: new Date() })
      .catch((error: unknown) => {
        const retries = (error as { retries?: number }).retries ?? 0;
        this.report.requests += retries + 1;
        this.report.retries += retries;
        throw error;
      });
    this.report.requests += result.retries + 1;
    this.report.retries += result.retries;
  }

  private async finishDelivery(summary: SendSummary, checkpoints: Checkpoints): Promise<SyncReport> {
    const pending = await checkpoints.drain();
    const { totals } = checkpoints;
    Object.assign(this.report, { added: totals.added, removed: totals.removed, failed: totals.failed });
    const unsent = this.report.to_add + this.report.to_remove - totals.added - totals.removed - totals.failed;
    let status: RunStatus = 'succeeded';
    let error: string | null = null;
    if (this.lockLost?.aborted) {
      status = totals.confirmedBatches > 0 ? 'partial' : 'failed';
      error = `lost the sync lock (${errorMessage(this.lockLost.reason)}); stopped with ${unsent} changes not sent, the next run sends them`;
    } else if (summary.stoppedBy === 'interrupted') {
      status = 'interrupted';
      error = `interrupted; ${unsent} changes not sent, the next run sends them`;
    } else if (summary.stoppedBy || totals.failedBatches > 0) {
      status = totals.confirmedBatches > 0 ? 'partial' : 'failed';
      const cause = summary.stoppedBy
        ? errorMessage(summary.stoppedBy)
        : `${totals.failedBatches} batch(es) failed after retries: ${checkpoints.firstFailure}`;
      error = unsent > 0 ? `${cause}; stopped with ${unsent} changes not sent` : cause;
    }
    if (checkpoints.lastError)
      this.log.warn(`a checkpoint write failed and was retried: ${errorMessage(checkpoints.lastError)}`);
    return this.finish(status, error, pending);
  }

  /** One transaction: confirmed batches into the snapshot, failed batches marked, the run's audit row updated. */
  private async applyBatches(
    batches: PendingBatches,
    totals: Omit<SendTotals, 'confirmedBatches' | 'failedBatches'>,
    final?: RunProgress,
  ): Promise<void> {
    const statements: CompiledQuery[] = [];
    if (batches.confirmed.length > 0) {
      statements.push(
        ...applyConfirmedStatements({
          ...this.changeInput(),
          runId: this.runId,
          ranges: batchRanges(batches.confirmed.map((b) => b.batch)),
          adds: batches.confirmed.some((b) => b.adds > 0),
          removes: batches.confirmed.some((b) => b.removes > 0),
          addsMayBeHeld: this.resendsUnconfirmed,
        }),
      );
    }
    for (const error of new Set(batches.failed.map((b) => b.error))) {
      const ranges = batchRanges(batches.failed.filter((b) => b.error === error).map((b) => b.batch));
      statements.push(
        markChangesStatement({
          db: this.env.source.db,
          schema: this.env.schema,
          runId: this.runId,
          ranges,
          status: 'failed',
          error: this.redact(error),
        }),
      );
    }
    const progress: RunProgress = {
      added: totals.added,
      removed: totals.removed,
      failed: totals.failed,
      requests: this.report.requests,
      retries: this.report.retries,
      ...final,
    };
    await this.env.source.transaction(async (tx) => {
      for (const statement of statements) await tx.execute(statement);
      // Built last, so that the bytes of the statements before it count.
      const usage = final === undefined ? {} : this.usageProgress();
      await tx.execute(
        this.audit.updateStatement(this.runId, { ...progress, ...usage }, final !== undefined),
      );
      await crashTestPause('snapshot_apply');
    });
  }

  private async finish(
    status: RunStatus,
    cause: string | null,
    pending?: PendingBatches,
  ): Promise<SyncReport> {
    const error = cause === null ? null : this.redact(cause);
    this.report.status = status;
    this.report.error = error;
    const final: RunProgress = {
      ...this.countsProgress(),
      status,
      error,
      requests: this.report.requests,
      retries: this.report.retries,
    };
    if (pending) {
      await this.applyBatches(pending, this.report, final);
    } else {
      // An UPDATE to absolute values: safe to repeat once when the connection it used had just died.
      const withUsage = { ...final, ...this.usageProgress() };
      await this.audit.update(this.runId, withUsage, true).catch((error: unknown) => {
        if (!(error instanceof CohortSyncError && error.retryable)) throw error;
        return this.audit.update(this.runId, withUsage, true);
      });
    }
    const line =
      `${status}: +${this.report.added} −${this.report.removed}` +
      (this.report.failed ? `, ${this.report.failed} failed` : '');
    if (status === 'succeeded') this.log.info(line);
    else this.log.warn(error ? `${line} — ${error}` : line);
    this.emit({ type: 'run_finished', report: { ...this.report } });
    return { ...this.report };
  }

  private redact(text: string): string {
    return this.env.redact ? this.env.redact(text) : text;
  }

  private async skipped(error: SyncLockedError): Promise<SyncReport> {
    this.log.warn(error.message);
    await this.audit.start({ ...this.runRow(), dry_run: this.dryRun, status: 'skipped' });
    await this.audit.update(this.runId, { error: error.message }, true);
    const report: SyncReport = { ...this.report, status: 'skipped', error: error.message };
    this.emit({ type: 'run_finished', report });
    return report;
  }

  private emitProgress(checkpoints: Checkpoints, total: number): void {
    const { added, removed, failed } = checkpoints.totals;
    const retries = this.report.retries;
    this.emit({
      type: 'batch_done',
      sync: this.sync.name,
      run_id: this.runId,
      sent: added + removed,
      failed,
      total,
      retries,
    });
  }

  /** Observers must not break a run: an exception in one is logged and ignored. */
  private emit(event: SyncEvent): void {
    try {
      this.env.onEvent?.(event);
    } catch (error) {
      this.log.warn(`an event handler failed: ${errorMessage(error)}`);
    }
  }

  /** Bytes of the run's jobs so far, for its final audit write; left NULL where the warehouse reports none. */
  private usageProgress(): RunProgress {
    const { jobs, bytesProcessed, bytesBilled } = this.usage;
    return jobs === 0 ? {} : { bytes_processed: bytesProcessed, bytes_billed: bytesBilled };
  }

  private countsProgress(): RunProgress {
    const r = this.report;
    return {
      query_rows: r.query_rows,
      skipped_null: r.skipped_null,
      skipped_duplicate: r.skipped_duplicate,
      skipped_invalid: r.skipped_invalid,
      skip_reasons: r.skip_reasons,
      to_add: r.to_add,
      to_remove: r.to_remove,
    };
  }

  private async dropStageTables(tables: StageTables = this.tables): Promise<void> {
    for (const table of [tables.members, tables.changes, tables.limited]) {
      await this.env.source.execute(dropTableStatement({ ...this.sqlInput(table), schema: tables.schema }));
    }
  }

  /** Runs a warehouse step, turning its failure into a message that names the sync, the step and the query. */
  private async inWarehouse<T>(step: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw namingSync(error, this.sync, step);
    }
  }

  private queryOrigin(): string {
    return this.sync.query_file ? ` (query file ${this.sync.query_file})` : '';
  }

  private sqlInput(table: string) {
    return { db: this.env.source.db, caps: this.env.source.capabilities, schema: this.env.schema, table };
  }

  /** Like {@link sqlInput}, for a stage table of this run. */
  private stageInput(table: string) {
    return { ...this.sqlInput(table), schema: this.tables.schema };
  }

  private changeInput() {
    return {
      db: this.env.source.db,
      caps: this.env.source.capabilities,
      schema: this.env.schema,
      tables: this.tables,
      syncName: this.sync.name,
    };
  }
}
