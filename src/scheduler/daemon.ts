import { createTask, type ScheduledTask } from 'node-cron';
import type { Config, SyncConfig } from '../config/types.js';
import { UsageError, errorMessage } from '../errors.js';
import { Redactor, type Logger } from '../log/logger.js';
import { selectSyncs } from '../sync/run-syncs.js';
import { isHeldElsewhere } from '../sync/shared-warehouse.js';
import { SyncRuntime } from '../sync/sync-runtime.js';
import { emptyReport } from '../sync/sync-report.js';
import type { SyncEvent, SyncEventHandler } from '../sync/sync-events.js';
import { DaemonMetrics } from './daemon-metrics.js';
import { startHealthServer, type HealthReport, type RunningHealthServer } from './health-server.js';
import { postWebhook } from './post-webhook.js';
import { RunAlerts } from './run-alerts.js';
import { SyncScheduler } from './sync-scheduler.js';

/** When sync_changes retention runs (besides once at start): daily, 03:17 UTC. */
const RETENTION_SCHEDULE = '17 3 * * *';

export interface DaemonOptions {
  logger: Logger;
  /** Only these syncs (all when empty). */
  syncs?: readonly string[];
  /** Run every selected sync once at start, as if each had `run_on_start: true`. */
  runOnStart?: boolean;
  /** Serve /healthz and /metrics here. */
  listen?: { host: string; port: number };
  /** How long {@link Daemon.stop} waits for runs to finish. Default 25 s. */
  stopTimeoutMs?: number;
}

/** How a stop went: `forced` when runs were still going when the time was up. */
export interface StopResult {
  forced: boolean;
  /** Runs that were going when the stop began. */
  runsInProgress: number;
}

/**
 * `cohort-sync daemon`: every sync on its own cron schedule, one warehouse
 * connection and one Braze budget per endpoint shared by all of them, with
 * metrics, alerts and daily retention built on run events. A sync that
 * fails does not stop the others; a tick that finds its sync still running
 * is recorded as `skipped` by the run's lock.
 */
export class Daemon {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly lastRuns = new Map<string, { status: string; finished_at: string }>();
  private readonly observers: SyncEventHandler[];
  private readonly scheduler: SyncScheduler;
  private readonly redactor: Redactor;
  private readonly retentionTask: ScheduledTask;
  private lastRetention:
    { at: string; status: 'succeeded'; deleted: number } | { at: string; status: 'failed' } | undefined;
  private server: RunningHealthServer | undefined;
  private stopping: Promise<StopResult> | undefined;

  private constructor(
    private readonly abort: AbortController,
    private readonly config: Config,
    private readonly syncs: readonly SyncConfig[],
    private readonly options: DaemonOptions,
    private readonly runtime: SyncRuntime,
    readonly metrics: DaemonMetrics,
    private readonly alerts: RunAlerts | undefined,
  ) {
    this.redactor = new Redactor(config.secrets);
    this.observers = [metrics.observe, this.remember];
    if (alerts) this.observers.push(alerts.observe);
    this.scheduler = new SyncScheduler(syncs, (sync) => this.runOnce(sync), options.logger);
    this.retentionTask = createTask(RETENTION_SCHEDULE, () => void this.track(this.retention()), {
      name: 'retention',
      timezone: 'UTC',
    });
  }

  /** Checks the config and the warehouse, then starts the schedules; resolves once running. */
  static async start(config: Config, options: DaemonOptions): Promise<Daemon> {
    const syncs = selectSyncs(config, options.syncs ?? []);
    const runnable = syncs.filter((s) => s.schedule !== undefined || s.run_on_start || options.runOnStart);
    if (runnable.length === 0) {
      throw new UsageError(
        `no sync to run: none of ${syncs.map((s) => s.name).join(', ')} has a schedule in ${config.file}; ` +
          'add `schedule: "0 * * * *"` to a sync, or use `cohort-sync run` from an external scheduler',
      );
    }
    const abort = new AbortController();
    const daemon = new Daemon(
      abort,
      config,
      syncs,
      options,
      new SyncRuntime(config, { process: 'daemon', signal: abort.signal }),
      new DaemonMetrics(syncs.map((s) => s.name)),
      config.notifications
        ? new RunAlerts(
            // Secrets are redacted by the run's error texts already; this covers errors the run never saw.
            (text) =>
              postWebhook(config.notifications!.webhook_url, new Redactor(config.secrets).redact(text)),
            options.logger,
          )
        : undefined,
    );
    await daemon.begin(runnable);
    return daemon;
  }

  /** The /healthz and /metrics address, when listening. */
  get url(): string | undefined {
    return this.server?.url;
  }

  /**
   * Stops: no new ticks, runs stop reading new batches, requests in flight
   * finish and confirmed batches are applied (the run ends `interrupted`).
   * Waits at most `stopTimeoutMs`; safe to call twice.
   */
  stop(): Promise<StopResult> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * /healthz: the scheduler runs and the warehouse answers. A failing sync is an alert, not ill health.
   * Statuses and times only, never an error text: anyone who reaches the port reads it.
   */
  async health(): Promise<HealthReport> {
    const warehouse = await this.runtime.warehouseHealth();
    const next = new Map(this.scheduler.scheduled.map((s) => [s.sync, s]));
    return {
      ok: this.stopping === undefined && warehouse.ok,
      scheduler: this.stopping === undefined ? 'running' : 'stopping',
      warehouse: warehouse.status,
      runs_in_progress: this.inFlight.size,
      retention: {
        days: this.config.state.retention_days,
        next_run: this.retentionTask.getNextRun()?.toISOString() ?? null,
        last_run: this.lastRetention ?? null,
      },
      syncs: Object.fromEntries(
        this.syncs.map((sync) => [
          sync.name,
          {
            schedule: next.get(sync.name)?.schedule ?? null,
            next_run: next.get(sync.name)?.nextRun?.toISOString() ?? null,
            last_run: this.lastRuns.get(sync.name) ?? null,
          },
        ]),
      ),
    };
  }

  private async begin(runnable: readonly SyncConfig[]): Promise<void> {
    const { logger } = this.options;
    try {
      await this.runtime.connect(); // fail fast on a bad warehouse; migrates the state schema
    } catch (error) {
      if (!isHeldElsewhere(error)) {
        await this.runtime.close();
        throw error;
      }
      logger.warn(`${errorMessage(error)}; runs will try again on their schedule`);
    }
    if (this.options.listen) {
      this.server = await startHealthServer(this.options.listen, {
        health: () => this.health(),
        metrics: async () => ({ contentType: this.metrics.contentType, text: await this.metrics.text() }),
      });
      logger.info(`serving /healthz and /metrics on ${this.server.url}`, { url: this.server.url });
    }
    await this.scheduler.start();
    await this.retentionTask.start();
    for (const s of this.scheduler.scheduled) {
      const next = s.nextRun?.toISOString() ?? 'never';
      logger.info(`scheduled "${s.schedule}" (${s.timezone}); next run ${next}`, { sync: s.sync });
    }
    logger.info(
      `daemon started with ${runnable.length} sync(s); SIGTERM or SIGINT stops it, config changes need a restart`,
      { pid: process.pid },
    );
    void this.track(this.retention());
    for (const sync of runnable) {
      if (sync.run_on_start || this.options.runOnStart) void this.runOnce(sync);
    }
  }

  /** One run of one sync; never rejects. */
  private runOnce(sync: SyncConfig): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return this.track(this.execute(sync));
  }

  private async execute(sync: SyncConfig): Promise<void> {
    const log = this.options.logger.child({ sync: sync.name });
    let runLog = log;
    let runId: string | undefined;
    const onEvent: SyncEventHandler = (event) => {
      if (event.type === 'run_started') {
        runId = event.run_id;
        runLog = log.child({ run: event.run_id.slice(0, 8) });
      }
      this.emit(event);
    };
    try {
      await this.runtime.run(sync, { trigger: 'schedule', logger: this.options.logger, onEvent });
    } catch (error) {
      // The run could not start (warehouse unreachable or held by another process) or its audit write failed.
      const skipped = isHeldElsewhere(error);
      const message = this.redactor.redact(errorMessage(error));
      if (skipped) runLog.warn(`tick skipped: ${message}`);
      else runLog.error(`run failed: ${message}`);
      // A report for a run the warehouse could not record, so metrics and alerts still hear of it.
      const status = skipped ? 'skipped' : 'failed';
      const report = emptyReport(sync.name, runId ?? 'unrecorded', status, false, message);
      this.emit({ type: 'run_finished', report });
    }
  }

  private async retention(): Promise<void> {
    const days = this.config.state.retention_days;
    try {
      const rows = await this.runtime.deleteOldChanges();
      this.metrics.retentionDeleted(rows);
      this.lastRetention = { at: new Date().toISOString(), status: 'succeeded', deleted: rows };
      this.options.logger.info(`retention: deleted ${rows} sync_changes row(s) older than ${days} days`, {
        deleted: rows,
      });
    } catch (error) {
      this.lastRetention = { at: new Date().toISOString(), status: 'failed' };
      this.options.logger.warn(`retention did not run: ${errorMessage(error)}; it tries again tomorrow`);
    }
  }

  private async shutdown(): Promise<StopResult> {
    const { logger } = this.options;
    const runsInProgress = this.inFlight.size;
    const timeoutMs = this.options.stopTimeoutMs ?? 25_000;
    logger.info(
      `stopping: ${runsInProgress} run(s) in progress finish their requests in flight and save what Braze confirmed (up to ${Math.round(timeoutMs / 1000)} s)`,
    );
    await this.scheduler.stop();
    await this.retentionTask.destroy();
    this.abort.abort();
    const finished = await within(Promise.allSettled([...this.inFlight]), timeoutMs);
    await this.alerts?.flush();
    if (finished) await this.runtime.close();
    await this.server?.close();
    if (finished) logger.info('stopped');
    else
      logger.error(
        `gave up waiting after ${Math.round(timeoutMs / 1000)} s; unfinished runs will be marked abandoned by the next run`,
      );
    return { forced: !finished, runsInProgress };
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }

  private emit(event: SyncEvent): void {
    for (const observer of this.observers) {
      try {
        observer(event);
      } catch (error) {
        this.options.logger.warn(`an event observer failed: ${errorMessage(error)}`);
      }
    }
  }

  private readonly remember: SyncEventHandler = (event) => {
    if (event.type !== 'run_finished' || event.report.dry_run) return;
    const { report } = event;
    // The status only: /healthz answers anyone who reaches the port; the error is in the logs and sync_runs.
    this.lastRuns.set(report.sync, { status: report.status, finished_at: new Date().toISOString() });
  };
}

async function within(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    work.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return done;
}
