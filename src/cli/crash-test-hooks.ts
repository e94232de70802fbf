import { setTimeout as sleep } from 'node:timers/promises';
import type { RunHooks } from '../sync/run-hooks.js';

/**
 * TEST-ONLY, for test/cli/crash-safety.test.ts, not a user feature: read once when a command starts.
 * When `COHORT_SYNC_TEST_PAUSE_AT=snapshot_apply`, every snapshot transaction prints a marker line on
 * stderr and waits 30 s before its commit, so the test can SIGKILL the process at exactly that point.
 * When the variable is unset (always, outside those tests) there are no hooks and nothing changes.
 */
export function crashTestHooks(env: NodeJS.ProcessEnv = process.env): RunHooks | undefined {
  if (env.COHORT_SYNC_TEST_PAUSE_AT !== 'snapshot_apply') return undefined;
  return {
    beforeSnapshotCommit: async () => {
      process.stderr.write('cohort-sync test hook: paused at snapshot_apply\n');
      await sleep(30_000);
    },
  };
}
