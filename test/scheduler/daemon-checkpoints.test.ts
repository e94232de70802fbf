import { describe, expect, inject, it } from 'vitest';
import { DaemonProcess, FAST_RETRY, daemonWorld, snapshotIds } from '../support/daemon.js';
import { cohortMembers, membershipRequests } from '../support/emulator.js';
import { postgresEngine } from '../support/engines.js';

const USERS = 12_000;
/** One batch of 1,000 a request, one request at a time, 250 ms each: the run sends for about 3 s. */
const BATCHES = USERS / 1000;

/**
 * `state.checkpoint_batches` is a promise about crash safety: a long run writes what Braze confirmed to
 * the snapshot every N batches, not only at its end. PostgreSQL lets this test read the snapshot while
 * the daemon's run is still sending (a DuckDB file is the daemon's alone until the run ends).
 */
describe.skipIf(!inject('postgresAvailable'))('checkpoints of a scheduled run', () => {
  it('a daemon run writes confirmed batches to the snapshot every state.checkpoint_batches, mid-run', async () => {
    const { world, braze, config, warehouse } = await daemonWorld(
      postgresEngine,
      [{ name: 'long', query: 'SELECT external_id FROM $audience', extra: 'run_on_start: true' }],
      { users: USERS, stateExtra: 'checkpoint_batches: 1', brazeExtra: `${FAST_RETRY}\n  concurrency: 1` },
    );
    braze.state.faults.configure({ latency_ms: 250, membership_only: true });
    const daemon = new DaemonProcess(['--config', config]);
    // Started means the state tables exist: the daemon migrates them before it schedules anything.
    await daemon.waitFor(() => daemon.messages('daemon started')[0], 'the daemon to start');
    const snapshotSize = async () =>
      Number(
        (await warehouse.exec(`SELECT COUNT(*) AS n FROM ${warehouse.stateSchema}.cohort_snapshot`))[0]?.n,
      );

    // Read the snapshot first, then count what Braze has answered: a snapshot that holds members while
    // requests are still to come was written by a checkpoint, not by the run's final transaction.
    const midRun = await daemon.waitFor(
      async () => {
        const members = await snapshotSize();
        const answered = membershipRequests(braze, 201).length;
        return members > 0 && answered < BATCHES ? { members, answered } : undefined;
      },
      'members in the snapshot while the run is still sending',
      30_000,
    );
    // Invariant 1 holds at every checkpoint: never more than Braze confirmed.
    expect(midRun.members).toBeLessThanOrEqual(midRun.answered * 1000);
    expect(midRun.members % 1000).toBe(0);

    await daemon.waitFor(() => daemon.messages('succeeded', 'long')[0], 'the run to finish');
    expect((await daemon.stop()).code).toBe(0);
    expect(await snapshotSize()).toBe(USERS);
    expect(await snapshotIds(world, 'long')).toEqual(cohortMembers(braze, 'cohort-sync-long'));
  });
});
