import type { Config, SyncConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { Source } from '../sources/source.js';
import type { RunHooks } from './run-hooks.js';
import { SyncRuntime, type RunRequest } from './sync-runtime.js';
import type { SyncReport } from './sync-report.js';

/** Opens the warehouse, brings the state schema up to date, runs `work`, and closes the warehouse. */
export async function withWarehouse<T>(config: Config, work: (source: Source) => Promise<T>): Promise<T> {
  const runtime = new SyncRuntime(config, { process: 'command' });
  try {
    return await runtime.useWarehouse(work);
  } finally {
    await runtime.close();
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
 * `run` and `plan`: the selected syncs one after another, against one warehouse
 * connection and one Braze client pool per endpoint. A sync that fails does not stop the others.
 */
export async function runSyncs(
  config: Config,
  options: RunRequest & { syncs?: readonly string[]; signal?: AbortSignal; hooks?: RunHooks },
): Promise<SyncReport[]> {
  const syncs = selectSyncs(config, options.syncs ?? []);
  const runtime = new SyncRuntime(config, {
    process: 'command',
    signal: options.signal,
    hooks: options.hooks,
  });
  try {
    const reports: SyncReport[] = [];
    for (const sync of syncs) {
      if (options.signal?.aborted) break;
      reports.push(await runtime.run(sync, options));
    }
    return reports;
  } finally {
    await runtime.close();
  }
}
