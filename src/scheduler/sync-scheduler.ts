import { createTask, type ScheduledTask } from 'node-cron';
import type { SyncConfig } from '../config/types.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** The schedule of one sync as the daemon runs it. */
export interface ScheduledSync {
  sync: string;
  schedule: string;
  timezone: string;
  nextRun: Date | null;
}

/**
 * One node-cron task per sync that has a `schedule` (5 or 6 fields, in the
 * sync's `timezone`, default UTC). Each tick calls `onTick`, which must
 * handle its own errors; a rejection is still caught and logged here, so a
 * failing sync never stops its task or the others.
 */
export class SyncScheduler {
  private readonly tasks: { sync: SyncConfig; task: ScheduledTask }[] = [];

  constructor(
    syncs: readonly SyncConfig[],
    private readonly onTick: (sync: SyncConfig) => Promise<void>,
    private readonly logger: Logger,
  ) {
    for (const sync of syncs) {
      if (sync.schedule === undefined) continue;
      const log = logger.child({ sync: sync.name });
      const task = createTask(sync.schedule, () => this.tick(sync), {
        name: sync.name,
        timezone: sync.timezone ?? 'UTC',
        logger: cronLogger(log),
      });
      this.tasks.push({ sync, task });
    }
  }

  /** The syncs that have a schedule, with their next tick. */
  get scheduled(): ScheduledSync[] {
    return this.tasks.map(({ sync, task }) => ({
      sync: sync.name,
      schedule: sync.schedule ?? '',
      timezone: sync.timezone ?? 'UTC',
      nextRun: task.getNextRun(),
    }));
  }

  async start(): Promise<void> {
    for (const { task } of this.tasks) await task.start();
  }

  /** No tick fires after this resolves; runs already started are not affected. */
  async stop(): Promise<void> {
    for (const { task } of this.tasks) await task.destroy();
  }

  private tick(sync: SyncConfig): void {
    // Through a promise, so that a synchronous throw is caught the same way as a rejection.
    Promise.resolve()
      .then(() => this.onTick(sync))
      .catch((error: unknown) =>
        this.logger.error(`scheduled run failed unexpectedly: ${errorMessage(error)}`, { sync: sync.name }),
      );
  }
}

/** node-cron's own messages (a missed tick under heavy load) in our log. */
function cronLogger(log: Logger) {
  return {
    info: (message: string) => log.info(`scheduler: ${message}`),
    warn: (message: string) => log.warn(`scheduler: ${message}`),
    error: (message: string | Error, error?: Error) =>
      log.error(`scheduler: ${errorMessage(message)}${error ? `: ${error.message}` : ''}`),
    debug: () => undefined,
  };
}
