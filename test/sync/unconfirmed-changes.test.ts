import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import type { Fault } from '../../src/emulator/faults.js';
import { cohortMembers, membershipRequests } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { snapshotMembers } from '../support/invariants.js';
import { audienceWarehouse } from '../support/audience.js';
import { World } from '../support/world.js';

const engines = [...ENGINES, bigqueryEngine];

/** Braze applies the request but the connection drops before the answer; every retry then fails (World: 6 attempts). */
const APPLIED_BUT_UNCONFIRMED: Fault[] = [
  { kind: 'drop_after_apply' },
  ...Array.from({ length: 5 }, (): Fault => ({ kind: 'status', status: 503 })),
];

describe.each(engines)('changes Braze applied without confirming, on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;
  const users = (...ids: number[]) => ids.map((i) => `external_id:user-${i}`).sort();
  const setAudience = (...ids: number[]) =>
    world.warehouse.exec(
      `DELETE FROM ${data}.audience`,
      ...ids.map((i) => `INSERT INTO ${data}.audience VALUES ('user-${i}')`),
    );

  beforeAll(async () => {
    const { dir, warehouse, ...setup } = await audienceWarehouse(engine);
    ({ braze, data } = setup);
    world = new World(dir, warehouse, braze, [
      { name: 'flip', query: `SELECT external_id FROM ${data}.audience` },
    ]);
    await setAudience(1, 2, 3, 4);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 4 });
  });

  it('a removal Braze applied but never confirmed is undone when the member comes back', async () => {
    await setAudience(1, 2, 3);
    braze.state.faults.configure({ script: APPLIED_BUT_UNCONFIRMED, membership_only: true });
    expect(await world.runOne()).toMatchObject({ status: 'failed', removed: 0, failed: 1 });
    braze.state.faults.configure({});
    expect(cohortMembers(braze, 'cohort-sync-flip')).toEqual(users(1, 2, 3)); // Braze removed user-4
    const [claimed] = await world.query(
      `SELECT COUNT(*) AS n FROM $state.cohort_snapshot WHERE id = 'user-4'`,
    );
    expect(claimed).toEqual({ n: 1 }); // the snapshot still holds it: the removal was never confirmed

    await setAudience(1, 2, 3, 4); // user-4 is back before the next run: a plain diff sees no change
    const next = await world.runOne();
    expect(next).toMatchObject({ status: 'succeeded', to_add: 1, to_remove: 0, added: 1 });
    expect(cohortMembers(braze, 'cohort-sync-flip')).toEqual(users(1, 2, 3, 4));
    // The re-sent add is confirmed for a member the snapshot already held: still one row for it.
    expect(await snapshotMembers(world, 'flip')).toEqual(users(1, 2, 3, 4));
  });

  it('an add Braze applied but never confirmed is undone when the member leaves', async () => {
    await setAudience(1, 2, 3, 4, 5);
    braze.state.faults.configure({ script: APPLIED_BUT_UNCONFIRMED, membership_only: true });
    expect(await world.runOne()).toMatchObject({ status: 'failed', added: 0, failed: 1 });
    braze.state.faults.configure({});
    expect(cohortMembers(braze, 'cohort-sync-flip')).toEqual(users(1, 2, 3, 4, 5)); // Braze added user-5

    await setAudience(1, 2, 3, 4); // user-5 left before the next run: not in the snapshot, not in the query
    const next = await world.runOne();
    expect(next).toMatchObject({ status: 'succeeded', to_add: 0, to_remove: 1, removed: 1 });
    expect(cohortMembers(braze, 'cohort-sync-flip')).toEqual(users(1, 2, 3, 4));
    expect(await snapshotMembers(world, 'flip')).toEqual(users(1, 2, 3, 4));
  });

  it('a succeeded run settles every earlier unconfirmed change: the run after it sends nothing', async () => {
    const before = membershipRequests(braze).length;
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', to_add: 0, to_remove: 0, requests: 0 });
    expect(membershipRequests(braze).length).toBe(before);
  });

  it('plan shows the re-sends a run would make', async () => {
    await setAudience(1, 2, 3);
    braze.state.faults.configure({ script: APPLIED_BUT_UNCONFIRMED, membership_only: true });
    expect(await world.runOne()).toMatchObject({ status: 'failed' });
    braze.state.faults.configure({});
    await setAudience(1, 2, 3, 4);
    const plan = await world.runOne({ dryRun: true, sample: 5 });
    expect(plan).toMatchObject({ to_add: 1, to_remove: 0 });
    expect(plan.samples?.add).toEqual([{ id_type: 'external_id', id: 'user-4', alias_label: '' }]);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 1 });
    expect(cohortMembers(braze, 'cohort-sync-flip')).toEqual(users(1, 2, 3, 4));
    expect(await snapshotMembers(world, 'flip')).toEqual(users(1, 2, 3, 4));
  });
});
