import type { Config, SyncConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { Redactor, type Logger } from '../log/logger.js';
import { BrazeClients } from '../destinations/braze-clients.js';
import { createSource } from '../sources/create-source.js';
import type { Source } from '../sources/source.js';
import { migrateState } from '../state/migrations.js';
import { runSync, type RunSyncOptions } from './run-sync.js';
import type { SyncReport } from './sync-report.js';
import type { SyncEventHandler } from './sync-events.js';

/** Opens the warehouse, brings the state schema up to date, runs `work`, and closes the warehouse. */
export async function withWarehouse<T>(config: Config, work: (source: Source) => Promise<T>): Promise<T> {
  const source = await createSource(config.warehouse);
  try {
    await migrateState(source, config.state.schema);
    return await work(source);
  } finally {
    await source.close();
  }
}

/** The syncs named on the command line (all when none), in config order; unknown names are a usage error. */
export function selectSyncs(config: Config, names: readonly string[]): SyncConfig[] {
  const known = new Set(config.syncs.map((sync) => sync.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown sync ${unknown.map((n) => `"${n}"`).join(', ')}; ${config.file} defines: ${[...known].join(', ')}`,
    );
  }
  return names.length === 0 ? [...config.syncs] : config.syncs.filter((sync) => names.includes(sync.name));
}

/**
 * Runs the selected syncs one after another against one warehouse connection
 * and one Braze client per target. A sync that fails does not stop the others.
 */
export async function runSyncs(
  config: Config,
  options: RunSyncOptions & {
    syncs?: readonly string[];
    logger: Logger;
    signal?: AbortSignal;
    onEvent?: SyncEventHandler;
  },
): Promise<SyncReport[]> {
  const syncs = selectSyncs(config, options.syncs ?? []);
  // No default limits: a single run is bounded by `concurrency`, unless the config sets a budget.
  const clients = new BrazeClients(config.braze_targets, { signal: options.signal });
  const redactor = new Redactor(config.secrets);
  try {
    return await withWarehouse(config, async (source) => {
      const reports: SyncReport[] = [];
      for (const sync of syncs) {
        if (options.signal?.aborted) break;
        const braze = config.braze_targets[sync.braze_target] ?? config.braze;
        const env = {
          source,
          schema: config.state.schema,
          sink: clients.clientFor(sync.braze_target, options.logger),
          concurrency: braze.concurrency,
          logger: options.logger,
          signal: options.signal,
          onEvent: options.onEvent,
          redact: (text: string) => redactor.redact(text),
        };
        reports.push(
          await runSync(env, sync, {
            ...options,
            checkpointEvery: options.checkpointEvery ?? config.state.checkpoint_batches,
          }),
        );
      }
      return reports;
    });
  } finally {
    await clients.close();
  }
}
