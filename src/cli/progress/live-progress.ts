import { MultiBar, type SingleBar } from 'cli-progress';
import type { SyncEvent } from '../../sync/sync-events.js';
import { formatProgress, type ProgressState } from './format-progress.js';

interface Tracked {
  bar: SingleBar;
  state: ProgressState;
  startedAt: number;
  /** When the first batch was sent: the rate counts from here. */
  sendingSince: number | undefined;
}

/**
 * The live progress display of `run` in an interactive terminal: one bar per
 * sync (cli-progress draws and redraws them), fed by the run's events. Log
 * lines go above the bars through {@link log}, so they do not tear them.
 */
export class LiveProgress {
  private readonly bars: MultiBar;
  private readonly tracked = new Map<string, Tracked>();
  private readonly syncWidth: number;

  constructor(stream: NodeJS.WriteStream, syncNames: readonly string[], now: () => number = Date.now) {
    this.now = now;
    this.syncWidth = Math.max(4, ...syncNames.map((name) => name.length));
    this.bars = new MultiBar({
      stream,
      format: (_options, _params, payload: { line?: string }) => payload.line ?? '',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 8,
      // Redraw even when nothing changed, so the rate and ETA stay current while Braze is slow.
      forceRedraw: true,
    });
  }

  private readonly now: () => number;

  /** Handles one run event; never throws (an observer must not break a run). */
  readonly onEvent = (event: SyncEvent): void => {
    if (event.type === 'run_started') {
      if (event.dry_run) return;
      const state: ProgressState = {
        sync: event.sync,
        done: 0,
        total: 0,
        failed: 0,
        retries: 0,
        rate: 0,
        etaSeconds: undefined,
        diffing: true,
      };
      const bar = this.bars.create(1, 0, {
        line: formatProgress({ ...state, etaSeconds: undefined }, this.syncWidth),
      });
      this.tracked.set(event.run_id, { bar, state, startedAt: this.now(), sendingSince: undefined });
    } else if (event.type === 'diff_computed') {
      this.update(event.run_id, (t) => {
        t.state.total = event.to_add + event.to_remove;
        t.state.diffing = false;
        t.sendingSince = this.now();
      });
    } else if (event.type === 'batch_done') {
      this.update(event.run_id, (t) => {
        Object.assign(t.state, {
          done: event.sent + event.failed,
          total: event.total,
          failed: event.failed,
          retries: event.retries,
        });
        const seconds = (this.now() - (t.sendingSince ?? t.startedAt)) / 1000;
        t.state.rate = seconds > 0 ? t.state.done / seconds : 0;
        t.state.etaSeconds = t.state.rate > 0 ? (t.state.total - t.state.done) / t.state.rate : undefined;
      });
    } else {
      const { report } = event;
      this.update(report.run_id, (t) => {
        const done = report.added + report.removed + report.failed;
        if (report.status !== 'succeeded' || done > 0) t.state.done = done;
        if (t.state.total === 0) t.state.total = done;
        if (report.status === 'succeeded' && t.state.done < t.state.total) t.state.total = t.state.done;
        t.state.failed = report.failed;
        t.state.retries = report.retries;
        t.state.finished = report.status;
        t.state.diffing = false;
        t.state.elapsedSeconds = (this.now() - t.startedAt) / 1000;
      });
      this.tracked.get(report.run_id)?.bar.stop();
    }
  };

  /** Prints a line above the bars. */
  log(line: string): void {
    this.bars.log(line.endsWith('\n') ? line : `${line}\n`);
  }

  /** Draws the final state and gives the terminal back; later calls do nothing. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bars.stop();
  }

  private stopped = false;

  private update(runId: string, change: (tracked: Tracked) => void): void {
    const tracked = this.tracked.get(runId);
    if (!tracked) return;
    change(tracked);
    const { state } = tracked;
    tracked.bar.setTotal(Math.max(1, state.total));
    tracked.bar.update(Math.min(state.done, Math.max(1, state.total)), {
      line: formatProgress(state, this.syncWidth),
    });
  }
}
