import { stageTables } from '../diff/stage-tables.js';
import { SyncLockedError } from '../errors.js';
import { acquireSyncLock, type SyncLock } from '../state/sync-lock.js';
import type { RunContext } from './run-context.js';
import { emptyReport, type SyncReport } from './sync-report.js';

/** The outcome of taking the lock: held (none for a dry run), or taken by another run. */
export type LockOutcome = { held: SyncLock | undefined } | { skipped: SyncReport };

/**
 * Invariant 3: one run per sync at a time. A dry run takes no lock (it changes nothing); a run that
 * finds the sync running is recorded as `skipped` and goes no further.
 */
export async function lockSync(run: RunContext): Promise<LockOutcome> {
  if (run.dryRun) return { held: undefined };
  try {
    return { held: await acquireSyncLock(run.source, run.env.schema, run.sync.name, run.runId) };
  } catch (error) {
    if (!(error instanceof SyncLockedError)) throw error;
    run.log.warn(error.message);
    await run.audit.start({ ...run.runRow(), status: 'skipped' });
    await run.audit.update(run.runId, { error: error.message }, true);
    const report = emptyReport(run.sync.name, run.runId, 'skipped', run.dryRun, error.message);
    run.emit({ type: 'run_finished', report });
    return { skipped: report };
  }
}

/**
 * Audit: run started. Holding the lock, any run of this sync still marked `running` died (invariant 3):
 * it is marked `abandoned` and its stage tables are dropped first.
 */
export async function startRun(run: RunContext, lock: SyncLock | undefined): Promise<void> {
  if (lock) {
    const dead = await run.audit.staleRuns(run.sync.name, run.runId);
    if (dead.length > 0) {
      run.log.warn(`marking ${dead.length} earlier run(s) abandoned: ${dead.join(', ')}`);
      await run.audit.markAbandoned(dead);
      for (const runId of dead) await run.dropStageTables(stageTables(runId, run.tables.schema));
    }
  }
  await run.audit.start(run.runRow());
  run.emit({ type: 'run_started', sync: run.sync.name, run_id: run.runId, dry_run: run.dryRun });
}
