import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SyncEvent } from '../sync/sync-events.js';

const STATUSES = ['succeeded', 'partial', 'failed', 'aborted', 'interrupted', 'skipped'] as const;

/**
 * The daemon's Prometheus metrics, kept from run events only (the run does
 * not know it is measured). Counters move as batches are confirmed, so a
 * long run shows progress before it ends.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly runs = new Counter({
    name: 'cohort_sync_runs_total',
    help: 'Runs by sync and final status (skipped: another run of the sync held the lock, or the warehouse was held by another process).',
    labelNames: ['sync', 'status'] as const,
    registers: [this.registry],
  });
  private readonly changes = new Counter({
    name: 'cohort_sync_changes_sent_total',
    help: 'Cohort changes (adds and removes) Braze confirmed.',
    labelNames: ['sync'] as const,
    registers: [this.registry],
  });
  private readonly failedChanges = new Counter({
    name: 'cohort_sync_changes_failed_total',
    help: 'Cohort changes in batches that failed after retries.',
    labelNames: ['sync'] as const,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'cohort_sync_braze_retries_total',
    help: 'Braze requests retried (429, 423, 5xx, timeouts, dropped connections).',
    labelNames: ['sync'] as const,
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'cohort_sync_last_success_timestamp_seconds',
    help: 'When the last successful run of the sync finished (Unix time); absent until one has.',
    labelNames: ['sync'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'cohort_sync_run_duration_seconds',
    help: 'Wall time of runs that started (skipped ticks excluded).',
    labelNames: ['sync'] as const,
    buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  private readonly inProgress = new Gauge({
    name: 'cohort_sync_runs_in_progress',
    help: 'Runs of the sync going on now.',
    labelNames: ['sync'] as const,
    registers: [this.registry],
  });
  private readonly deleted = new Counter({
    name: 'cohort_sync_retention_deleted_rows_total',
    help: 'sync_changes rows deleted because they were older than state.retention_days.',
    registers: [this.registry],
  });
  /** Per run: when it started and what was already counted from its batch events. */
  private readonly open = new Map<
    string,
    { started: number; sent: number; failed: number; retries: number }
  >();

  constructor(syncs: readonly string[]) {
    collectDefaultMetrics({ register: this.registry, prefix: 'cohort_sync_process_' });
    for (const sync of syncs) {
      for (const status of STATUSES) this.runs.inc({ sync, status }, 0);
      this.changes.inc({ sync }, 0);
      this.failedChanges.inc({ sync }, 0);
      this.retries.inc({ sync }, 0);
      this.inProgress.set({ sync }, 0);
    }
  }

  /** A {@link SyncEventHandler}. */
  readonly observe = (event: SyncEvent): void => {
    switch (event.type) {
      case 'run_started':
        if (event.dry_run) return;
        this.open.set(event.run_id, { started: performance.now(), sent: 0, failed: 0, retries: 0 });
        this.inProgress.inc({ sync: event.sync });
        return;
      case 'batch_done':
        this.count(event.sync, event.run_id, event);
        return;
      case 'run_finished': {
        const { report } = event;
        if (report.dry_run) return;
        const sync = report.sync;
        const run = this.open.get(report.run_id);
        this.count(sync, report.run_id, {
          sent: report.added + report.removed,
          failed: report.failed,
          retries: report.retries,
        });
        this.runs.inc({ sync, status: report.status });
        if (run) {
          this.duration.observe({ sync }, (performance.now() - run.started) / 1000);
          this.inProgress.dec({ sync });
          this.open.delete(report.run_id);
        }
        if (report.status === 'succeeded') this.lastSuccess.set({ sync }, Date.now() / 1000);
        return;
      }
      default:
        return;
    }
  };

  /** Rows the daily retention deleted. */
  retentionDeleted(rows: number): void {
    this.deleted.inc(rows);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Adds what a run confirmed, failed and retried since it was last counted. */
  private count(
    sync: string,
    runId: string,
    totals: { sent: number; failed: number; retries: number },
  ): void {
    const run = this.open.get(runId) ?? { started: performance.now(), sent: 0, failed: 0, retries: 0 };
    this.changes.inc({ sync }, Math.max(0, totals.sent - run.sent));
    this.failedChanges.inc({ sync }, Math.max(0, totals.failed - run.failed));
    this.retries.inc({ sync }, Math.max(0, totals.retries - run.retries));
    Object.assign(run, { sent: totals.sent, failed: totals.failed, retries: totals.retries });
    if (this.open.has(runId)) this.open.set(runId, run);
  }
}
