import { randomUUID } from 'node:crypto';
import type { Config, SyncConfig } from '../config/types.js';
import { BrazeClients } from '../destinations/braze-clients.js';
import { cohortPacing } from '../destinations/braze-cohort/cohort-destination.js';
import { Redactor, type Logger } from '../log/logger.js';
import { createSource } from '../sources/create-source.js';
import type { Source } from '../sources/source.js';
import { migrateState } from '../state/migrations.js';
import { deleteOldChanges } from '../state/retention.js';
import type { RunHooks } from './run-hooks.js';
import { runSync } from './run-sync.js';
import { SharedWarehouse, type WarehouseHealth } from './shared-warehouse.js';
import type { RunSyncOptions } from './sync-environment.js';
import type { SyncEventHandler } from './sync-events.js';
import type { SyncReport } from './sync-report.js';

export interface SyncRuntimeOptions {
  /**
   * `command` (`run`, `plan`): the warehouse stays open until {@link SyncRuntime.close}. `daemon`: a
   * warehouse exclusive to one process is closed between runs. Either way, a Braze target without
   * limits gets the destination's pacing for that kind of process (cohortPacing).
   */
  process: 'command' | 'daemon';
  /** Stops every run (requests in flight finish, confirmed batches are applied) and cancels retry waits. */
  signal?: AbortSignal;
  /** Injected into every run; only the crash-safety tests set any. */
  hooks?: RunHooks;
}

/** What a caller asks of one run, beyond the sync itself. */
export interface RunRequest extends RunSyncOptions {
  /** The run logs here, every line with the sync and the run id. */
  logger: Logger;
  /** Observers of the run's progress (progress bar, metrics, alerts). */
  onEvent?: SyncEventHandler;
}

/**
 * The one composition root of a process, for `run`/`plan` and the daemon alike: one warehouse
 * connection (migrated at open), one Braze client pool per endpoint shared by every sync, the
 * redactor of the config's secrets, and the environment of every run assembled in one place.
 */
export class SyncRuntime {
  private readonly warehouse: SharedWarehouse;
  private readonly clients: BrazeClients;
  private readonly redactor: Redactor;

  constructor(
    private readonly config: Config,
    private readonly options: SyncRuntimeOptions,
  ) {
    this.warehouse = new SharedWarehouse(() => openWarehouse(config), {
      releaseWhenIdle: options.process === 'daemon',
    });
    this.clients = new BrazeClients(config.braze_targets, {
      signal: options.signal,
      defaults: cohortPacing(options.process),
    });
    this.redactor = new Redactor(config.secrets);
  }

  /** One run of one sync; `state.checkpoint_batches` applies unless the request sets its own. */
  run(sync: SyncConfig, request: RunRequest): Promise<SyncReport> {
    const runId = randomUUID();
    const logger = request.logger.child({ sync: sync.name, run: runId.slice(0, 8) });
    return this.warehouse.use((source) =>
      runSync(
        {
          source,
          schema: this.config.state.schema,
          runId,
          // The client's retry warnings are lines of the run, with its sync and run id.
          destination: this.clients.destinationFor(sync, logger),
          logger,
          signal: this.options.signal,
          onEvent: request.onEvent,
          redact: (text) => this.redactor.redact(text),
          hooks: this.options.hooks,
        },
        sync,
        { ...request, checkpointEvery: request.checkpointEvery ?? this.config.state.checkpoint_batches },
      ),
    );
  }

  /** Runs `work` on the warehouse (state schema up to date), e.g. to read the state tables. */
  useWarehouse<T>(work: (source: Source) => Promise<T>): Promise<T> {
    return this.warehouse.use(work);
  }

  /** Opens the warehouse now, to fail fast on a bad one. */
  async connect(): Promise<void> {
    await this.warehouse.use(() => Promise.resolve());
  }

  /** Deletes sync_changes rows older than `state.retention_days`; returns how many. */
  deleteOldChanges(): Promise<number> {
    return this.warehouse.use((source) =>
      deleteOldChanges(source, this.config.state.schema, this.config.state.retention_days),
    );
  }

  /** Whether the warehouse answers, as /healthz reports it. */
  warehouseHealth(): Promise<WarehouseHealth> {
    return this.warehouse.health();
  }

  /** Closes the Braze pools and the warehouse; call once every run is done. */
  async close(): Promise<void> {
    await this.clients.close();
    await this.warehouse.close();
  }
}

/** Opens the configured warehouse and brings the state schema up to date. */
async function openWarehouse(config: Config): Promise<Source> {
  const source = await createSource(config.warehouse);
  try {
    await migrateState(source, config.state.schema);
    return source;
  } catch (error) {
    await source.close();
    throw error;
  }
}
