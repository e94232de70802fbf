import { setTimeout as sleep } from 'node:timers/promises';

/** Points where the crash-safety tests stop a run to kill it. */
export type CrashTestPoint = 'snapshot_apply';

/**
 * TEST-ONLY hook for test/cli/crash-safety.test.ts, not a user feature: when
 * the environment variable COHORT_SYNC_TEST_PAUSE_AT names `point`, prints a
 * marker line on stderr and waits 30 s, so the test can SIGKILL the process at
 * exactly that point (e.g. inside the snapshot transaction, before commit).
 * When the variable is unset — always, outside those tests — it returns at
 * once and changes nothing.
 */
export async function crashTestPause(point: CrashTestPoint): Promise<void> {
  if (process.env.COHORT_SYNC_TEST_PAUSE_AT !== point) return;
  process.stderr.write(`cohort-sync test hook: paused at ${point}\n`);
  await sleep(30_000);
}
