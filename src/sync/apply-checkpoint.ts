import type { CompiledQuery } from 'kysely';
import type { ChangesStageRow } from '../diff/stage-tables.js';
import { batchRanges } from '../state/batch-ranges.js';
import type { RunProgress } from '../state/run-audit.js';
import { applyConfirmedStatements } from '../state/snapshot-statements.js';
import { markChangesStatement } from '../state/sync-changes-statements.js';
import type { PendingBatches } from './checkpoints.js';
import type { RunContext } from './run-context.js';

/** A change the destination rejected, with its batch and the destination's message. */
type Rejection = ChangesStageRow & { message: string };

/**
 * One transaction: confirmed batches into the snapshot (but not the changes the destination rejected),
 * failed batches and rejected changes marked in sync_changes, and the run's audit row updated; the
 * final one (`final`) also stamps the run's end and its bytes. Invariant 1: only what was confirmed.
 */
export async function applyCheckpoint(
  run: RunContext,
  batches: PendingBatches,
  progress: RunProgress,
  options: { resendsUnconfirmed: boolean; final: boolean },
): Promise<void> {
  const { db } = run.source;
  const { schema } = run.env;
  const rejected: Rejection[] = batches.confirmed.flatMap(({ batch, rejected: refused = [] }) =>
    refused.map(({ change, message }) => ({ ...change, batch, message })),
  );
  const statements: CompiledQuery[] = [];
  if (batches.confirmed.length > 0) {
    statements.push(
      ...applyConfirmedStatements({
        ...run.changeInput(),
        runId: run.runId,
        ranges: batchRanges(batches.confirmed.map((b) => b.batch)),
        adds: batches.confirmed.some((b) => b.adds > 0),
        removes: batches.confirmed.some((b) => b.removes > 0),
        addsMayBeHeld: options.resendsUnconfirmed,
        rejected,
      }),
    );
  }
  const mark = (ranges: [number, number][], message: string, only?: ChangesStageRow[]) =>
    markChangesStatement({
      db,
      schema,
      runId: run.runId,
      ranges,
      only,
      status: 'failed',
      error: run.redact(message),
    });
  for (const error of new Set(batches.failed.map((b) => b.error))) {
    const ranges = batchRanges(batches.failed.filter((b) => b.error === error).map((b) => b.batch));
    statements.push(mark(ranges, error));
  }
  for (const message of new Set(rejected.map((r) => r.message))) {
    const refused = rejected.filter((r) => r.message === message);
    statements.push(mark(batchRanges(refused.map((r) => r.batch)), message, refused));
  }
  await run.source.transaction(async (tx) => {
    for (const statement of statements) await tx.execute(statement);
    // Built last, so that the bytes of the statements before it count.
    const usage = options.final ? run.usageProgress() : {};
    await tx.execute(run.audit.updateStatement(run.runId, { ...progress, ...usage }, options.final));
    await run.env.hooks?.beforeSnapshotCommit?.();
  });
  // A deferred transaction ran its statements only now, after the audit write inside it was built:
  // record the final bytes once more, so that the snapshot apply's own bytes count.
  if (options.final && run.source.capabilities.deferredTransactions)
    await run.audit.update(run.runId, run.usageProgress());
}
