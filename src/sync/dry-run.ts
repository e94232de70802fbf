import { sampleChangesQuery } from '../diff/change-statements.js';
import { recordChangesStatement } from '../state/sync-changes-statements.js';
import type { RunContext } from './run-context.js';
import type { MemberKey, SyncReport } from './sync-report.js';

/**
 * A dry run (`plan`) ends here, having sent nothing: a sample of the changes when asked for, and with
 * `--save` the changes recorded as a plan (sync_changes rows `planned`, plan id = run id).
 */
export async function dryRun(run: RunContext): Promise<Pick<SyncReport, 'samples'>> {
  const { sample, savePlan } = run.options;
  const result: Pick<SyncReport, 'samples'> = {};
  if (sample) {
    const of = (op: 'add' | 'remove') =>
      run.source.execute<MemberKey & Record<string, unknown>>(
        sampleChangesQuery({ ...run.changeInput(), op, limit: sample }),
      );
    result.samples = { add: await of('add'), remove: await of('remove') };
  }
  if (savePlan)
    await run.source.execute(
      recordChangesStatement({ ...run.changeInput(), runId: run.runId, status: 'planned' }),
    );
  return result;
}
