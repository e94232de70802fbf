import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { SyncEvent } from '../sync/sync-events.js';
import { alertFor, type SyncHealth } from './alert-for.js';

/**
 * Sends an alert when a sync starts failing, is aborted by a guardrail, or
 * recovers (see {@link alertFor}); never one per successful run. Delivery
 * happens in the background and a failed delivery is logged, never thrown:
 * an unreachable webhook must not stop a sync.
 */
export class RunAlerts {
  private readonly health = new Map<string, SyncHealth>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly notify: (text: string) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** A {@link SyncEventHandler}. */
  readonly observe = (event: SyncEvent): void => {
    if (event.type !== 'run_finished') return;
    const { report } = event;
    const { after, text } = alertFor(this.health.get(report.sync) ?? 'ok', report);
    this.health.set(report.sync, after);
    if (text === undefined) return;
    const delivery = this.notify(text)
      .then(() => this.logger.info(`alert sent: ${text}`, { sync: report.sync }))
      .catch((error: unknown) =>
        this.logger.warn(`could not send the alert (${errorMessage(error)}): ${text}`, { sync: report.sync }),
      )
      .finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  };

  /** Waits for alerts being sent, at most `timeoutMs`. */
  async flush(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.pending),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
