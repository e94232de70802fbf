import { changeCountsQuery, stageChangesStatement } from '../diff/change-statements.js';
import { limitChangesStatements } from '../diff/limit-statements.js';
import type { RunContext } from './run-context.js';
import { createStage, type SnapshotBefore } from './stage-audience.js';

/** The changes stage table as it stands: what the run will send. */
export interface ChangeSet {
  toAdd: number;
  toRemove: number;
  /** The highest batch number (-1 when there are no changes). */
  lastBatch: number;
}

/** The diff: the change set, and whether it re-sends members earlier runs left unconfirmed. */
export interface ComputedChanges {
  changes: ChangeSet;
  /** Some adds may be of members the snapshot already holds (see applyConfirmedStatements). */
  resendsUnconfirmed: boolean;
}

/**
 * Compute the changes: the staged audience against the snapshot, in the warehouse, as adds and removes
 * numbered into batches of the destination's limit. Members whose change an earlier run left
 * unconfirmed are sent again with their current state (see stageChangesStatement).
 */
export async function computeChanges(run: RunContext, snapshot: SnapshotBefore): Promise<ComputedChanges> {
  const unresolvedRuns = await run.audit.unresolvedRuns(
    run.sync.name,
    run.env.destination.target.id,
    run.runId,
  );
  if (unresolvedRuns.length > 0)
    run.log.info(
      `re-sending the members whose changes ${unresolvedRuns.length} earlier run(s) left unconfirmed`,
    );
  await run.inWarehouse('computing changes', () =>
    createStage(
      run,
      stageChangesStatement({ ...run.changeInput(), emptySnapshot: snapshot.newTarget, unresolvedRuns }),
    ),
  );
  return { changes: await readChangeSet(run), resendsUnconfirmed: unresolvedRuns.length > 0 };
}

/** Counts the changes stage table: the one place a run learns its change counts and last batch. */
export async function readChangeSet(run: RunContext): Promise<ChangeSet> {
  const changes: ChangeSet = { toAdd: 0, toRemove: 0, lastBatch: -1 };
  for (const row of await run.source.execute<{ op: string; changes: number; last_batch: number }>(
    changeCountsQuery(run.changeInput()),
  )) {
    changes.lastBatch = Math.max(changes.lastBatch, Number(row.last_batch));
    if (row.op === 'add') changes.toAdd = Number(row.changes);
    else changes.toRemove = Number(row.changes);
  }
  return changes;
}

/**
 * `run --limit N`: keep only the first N changes in the changes table, so only they are sent and
 * applied; the next run's diff finds the rest. A dry run only reports the whole diff.
 */
export async function limitChanges(run: RunContext, changes: ChangeSet): Promise<ChangeSet> {
  const total = changes.toAdd + changes.toRemove;
  const { limit } = run.options;
  if (limit === undefined || limit >= total || run.dryRun) return changes;
  run.log.info(`sending ${limit} of ${total} changes (--limit); the next run sends the rest`);
  for (const statement of limitChangesStatements({ ...run.changeInput(), limit }))
    await run.inWarehouse('limiting the changes', () => run.source.execute(statement));
  return readChangeSet(run);
}
