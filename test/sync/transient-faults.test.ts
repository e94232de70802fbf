import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { cohortMembers } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { snapshotMembers } from '../support/invariants.js';
import { answeredSince, lastSeq, recordScenario } from '../support/reliability-figures.js';
import { audienceWarehouse } from '../support/audience.js';
import { World } from '../support/world.js';

describe.each([duckdbEngine])('single transient faults under Braze’s real headers, on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;

  beforeAll(async () => {
    const { dir, warehouse, ...setup } = await audienceWarehouse(engine);
    ({ braze, data } = setup);
    // The default retry policy (no `retry:` here): what a user runs with.
    world = new World(
      dir,
      warehouse,
      braze,
      [{ name: 'steady', query: `SELECT external_id FROM ${data}.audience` }],
      'concurrency: 4',
    );
  });

  it('503s and 423s at a few percent, each carrying X-RateLimit-Reset of the hourly window, are retried with backoff and absorbed in one successful run, every retry counted', async () => {
    await world.warehouse.exec(`INSERT INTO ${data}.audience ${engine.userIds(1, 40000)}`);
    // The emulator's clock runs 55 minutes ahead, so every answer's X-RateLimit-Reset (the end of its hour)
    // is 55 to 115 minutes away, whatever the minute: waiting for it would outlast the policy's 5 minutes.
    braze.state.clock = () => Date.now() + 55 * 60_000;
    const firstSeq = lastSeq(braze.state.history);
    braze.state.faults.configure({ server_error_rate: 0.05, locked_rate: 0.04, seed: 11 });
    const report = await world.runOne();
    braze.state.faults.configure({});
    braze.state.clock = Date.now;

    const answered = answeredSince(braze.state.history, firstSeq);
    const faults = answered.filter((r) => r.fault !== undefined).map((r) => r.fault);
    expect(faults).toContain('status_503');
    expect(faults).toContain('status_423');
    expect(faults.every((f) => f === 'status_503' || f === 'status_423')).toBe(true);
    // 40 membership requests and the cohort create, and one retry for each fault.
    expect(report).toMatchObject({
      status: 'succeeded',
      added: 40000,
      failed: 0,
      retries: faults.length,
      requests: 41 + faults.length,
    });
    expect(answered).toHaveLength(report.requests);
    const [audit] = await world.query(
      `SELECT status, retries, requests FROM $state.sync_runs WHERE run_id = '${report.run_id}'`,
    );
    expect(audit).toEqual({ status: 'succeeded', retries: faults.length, requests: 41 + faults.length });
    const desired = Array.from({ length: 40000 }, (_, i) => `external_id:user-${i + 1}`).sort();
    expect(cohortMembers(braze, 'cohort-sync-steady')).toEqual(desired);
    expect(await snapshotMembers(world, 'steady')).toEqual(desired);
    recordScenario({
      file: import.meta.filename,
      engine: engine.name,
      scenario: 'single transient 5xx and 423 at a few percent, Braze’s headers on every answer',
      runs: [report],
      answered,
      runsToConverge: 1,
    });
  });
});
