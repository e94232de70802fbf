import type { SyncConfig } from '../config/types.js';
import { stageSchemaFor, stageTables, type StageTables } from '../diff/stage-tables.js';
import { dropTableStatement } from '../diff/stage-statements.js';
import { CohortSyncError, WarehouseError, errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { QueryUsage } from '../sources/query-usage.js';
import type { StatementLabels } from '../sources/statement-labels.js';
import { RunAudit, type RunProgress } from '../state/run-audit.js';
import type { SyncEvent } from './sync-events.js';
import type { RunSyncOptions, SyncEnvironment } from './sync-environment.js';

/**
 * What every step of one run shares, and nothing any step computes: the environment, the sync, the
 * run's id, stage tables, audit and logger, and how the run names its errors and tells its observers.
 */
export class RunContext {
  readonly runId: string;
  readonly tables: StageTables;
  readonly audit: RunAudit;
  readonly log: Logger;
  readonly dryRun: boolean;
  /** Bytes the warehouse reported for this run's jobs so far (BigQuery bills by them). */
  readonly usage: QueryUsage = { jobs: 0, bytesProcessed: 0, bytesBilled: 0 };

  constructor(
    readonly env: SyncEnvironment,
    readonly sync: SyncConfig,
    readonly options: RunSyncOptions,
  ) {
    this.runId = env.runId;
    this.audit = new RunAudit(env.source, env.schema);
    this.tables = stageTables(this.runId, stageSchemaFor(env.source.capabilities, env.schema));
    this.log = env.logger;
    this.dryRun = options.dryRun ?? false;
  }

  get source() {
    return this.env.source;
  }

  /** What the run's warehouse statements are labelled with (Snowflake's QUERY_TAG). */
  get labels(): StatementLabels {
    return { sync: this.sync.name, runId: this.runId };
  }

  /** The run's sync_runs identity columns. */
  runRow() {
    const { target } = this.env.destination;
    return {
      run_id: this.runId,
      sync_name: this.sync.name,
      cohort_id: target.id,
      cohort_name: target.name,
      trigger: this.options.trigger ?? 'manual',
      dry_run: this.dryRun,
    } as const;
  }

  /** The inputs every statement about this run's stage tables takes. */
  changeInput() {
    const { source } = this;
    return {
      db: source.db,
      caps: source.capabilities,
      schema: this.env.schema,
      tables: this.tables,
      syncName: this.sync.name,
      batchSize: this.env.destination.batchLimit,
    };
  }

  /** Bytes of the run's jobs so far, for its final audit write; left NULL where the warehouse reports none. */
  usageProgress(): RunProgress {
    const { jobs, bytesProcessed, bytesBilled } = this.usage;
    return jobs === 0 ? {} : { bytes_processed: bytesProcessed, bytes_billed: bytesBilled };
  }

  redact(text: string): string {
    return this.env.redact ? this.env.redact(text) : text;
  }

  /** Observers must not break a run: an exception in one is logged and ignored. */
  emit(event: SyncEvent): void {
    try {
      this.env.onEvent?.(event);
    } catch (error) {
      this.log.warn(`an event handler failed: ${errorMessage(error)}`);
    }
  }

  /** Runs a warehouse step, turning its failure into a message that names the sync, the step and the query. */
  async inWarehouse<T>(step: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw namingSync(error, this.sync, step);
    }
  }

  /** Drops a run's stage tables (this run's by default); each DROP is IF EXISTS. */
  async dropStageTables(tables: StageTables = this.tables): Promise<void> {
    const { db, capabilities: caps } = this.source;
    for (const table of [tables.members, tables.changes, tables.limited]) {
      await this.source.execute(dropTableStatement({ db, caps, schema: tables.schema, table }));
    }
  }
}

/** An error of a warehouse step as a WarehouseError naming the sync and the step; ours that name it pass. */
export function namingSync(error: unknown, sync: SyncConfig, step: string): unknown {
  if (error instanceof CohortSyncError && !(error instanceof WarehouseError && error.sync === undefined))
    return error;
  return new WarehouseError(
    `sync "${sync.name}"${queryOrigin(sync)}: ${step} failed: ${errorMessage(error)}`,
    {
      code: error instanceof CohortSyncError ? error.code : undefined,
      retryable: error instanceof CohortSyncError ? error.retryable : undefined,
      sync: sync.name,
      queryFile: sync.query_file,
      cause: error,
    },
  );
}

/** ` (query file …)` when the sync's query comes from a file, for messages. */
export function queryOrigin(sync: SyncConfig): string {
  return sync.query_file ? ` (query file ${sync.query_file})` : '';
}
