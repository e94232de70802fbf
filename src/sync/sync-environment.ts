import type { Destination } from '../destinations/destination.js';
import type { Logger } from '../log/logger.js';
import type { Source } from '../sources/source.js';
import type { RunTrigger } from '../state/state-database.js';
import type { RunHooks } from './run-hooks.js';
import type { SyncEventHandler } from './sync-events.js';

/** Everything one run needs from its process; the composition root (sync-runtime.ts) builds it. */
export interface SyncEnvironment {
  source: Source;
  /** The state schema. */
  schema: string;
  /** This run's id (sync_runs.run_id); also names its stage tables. */
  runId: string;
  /** Where the changes go. */
  destination: Destination;
  /** The run's logger: its lines carry the sync and the run id. */
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
  /** Test hooks (see run-hooks.ts); none in production. */
  hooks?: RunHooks;
}

export interface RunSyncOptions {
  trigger?: RunTrigger;
  /** Compute and audit the changes, send nothing, leave the snapshot alone. */
  dryRun?: boolean;
  /** Override every guardrail for this run. */
  allowMassRemoval?: boolean;
  /** With dryRun: how many ids of each kind to return as a sample. */
  sample?: number;
  /** Confirmed batches between snapshot checkpoints. Default 100. */
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
