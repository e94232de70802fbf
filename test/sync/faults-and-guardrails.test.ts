import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { cohortMembers, emulator, membershipRequests } from '../support/emulator.js';
import { ENGINES, type TestEngine } from '../support/engines.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/** Users user-1 … user-N (2,500: three requests per full sync). */
function audienceSql(engine: TestEngine, schema: string, upTo: number): string[] {
  return [
    `DROP TABLE IF EXISTS ${schema}.audience`,
    `CREATE TABLE ${schema}.audience AS ${engine.userIds(1, upTo)}`,
  ];
}

describe.each(ENGINES)('faults and guardrails on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;
  const expected = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = engine.isolate(dir);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(`CREATE SCHEMA IF NOT EXISTS ${data}`, ...audienceSql(engine, data, 2500));
    world = new World(dir, warehouse, braze, [
      { name: 'storm', query: `SELECT external_id FROM ${data}.audience` },
    ]);
  });

  it('a 503/429/423/dropped-connection storm either succeeds or records failed batches, and the next clean run converges', async () => {
    braze.state.faults.configure({
      server_error_rate: 0.25,
      rate_limit_rate: 0.15,
      retry_after_seconds: 0,
      locked_rate: 0.05,
      drop_rate: 0.05,
      drop_after_apply_rate: 0.05,
      seed: 7,
    });
    const stormy = await world.runOne();
    expect(['succeeded', 'partial', 'failed']).toContain(stormy.status);
    expect(stormy.retries).toBeGreaterThan(0);
    const [audit] = await world.query(
      `SELECT retries, added, failed FROM $state.sync_runs WHERE run_id = '${stormy.run_id}'`,
    );
    expect(audit).toEqual({ retries: stormy.retries, added: stormy.added, failed: stormy.failed });
    // Invariant 1: the snapshot never claims a member Braze does not hold.
    const snapshot = await world.query<{ id: string }>(
      `SELECT id FROM $state.cohort_snapshot WHERE sync_name = 'storm'`,
    );
    const inBraze = new Set(cohortMembers(braze, 'cohort-sync-storm'));
    expect(snapshot.filter((row) => !inBraze.has(`external_id:${row.id}`))).toEqual([]);

    braze.state.faults.configure({});
    const clean = await world.runOne();
    expect(clean.status).toBe('succeeded');
    expect(cohortMembers(braze, 'cohort-sync-storm')).toEqual(expected(1, 2500));
  });

  it('failed batches are recorded in sync_changes with status failed and the error, and the next run resends them', async () => {
    await world.warehouse.exec(...audienceSql(engine, data, 3000));
    braze.state.faults.configure({ server_error_rate: 1, membership_only: true });
    const failing = await world.runOne();
    expect(failing).toMatchObject({ status: 'failed', added: 0, failed: 500 });
    expect(failing.error).toMatch(/503/);
    const rows = await world.query(
      `SELECT status, error FROM $state.sync_changes WHERE run_id = '${failing.run_id}' GROUP BY status, error`,
    );
    expect(rows).toEqual([
      { status: 'failed', error: expect.stringMatching(/Braze server error \(503\)/) as unknown },
    ]);

    braze.state.faults.configure({});
    const retried = await world.runOne();
    expect(retried).toMatchObject({ status: 'succeeded', to_add: 500, added: 500 });
    expect(cohortMembers(braze, 'cohort-sync-storm')).toEqual(expected(1, 3000));
  });

  it('a guardrail aborts a mass removal before anything is sent, and --allow-mass-removal overrides it', async () => {
    await world.warehouse.exec(...audienceSql(engine, data, 1000));
    const before = membershipRequests(braze).length;
    const aborted = await world.runOne();
    expect(aborted.status).toBe('aborted');
    expect(aborted.error).toMatch(/remove 2000 of 3000 members .*max_removal_ratio/);
    expect(membershipRequests(braze).length).toBe(before);
    const [run] = await world.query(
      `SELECT status, error, to_remove FROM $state.sync_runs WHERE run_id = '${aborted.run_id}'`,
    );
    expect(run).toMatchObject({ status: 'aborted', to_remove: 2000 });

    const forced = await world.runOne({ allowMassRemoval: true });
    expect(forced).toMatchObject({ status: 'succeeded', removed: 2000 });
    expect(cohortMembers(braze, 'cohort-sync-storm')).toEqual(expected(1, 1000));
  });

  it('an empty result does not empty a non-empty cohort', async () => {
    await world.warehouse.exec(`DELETE FROM ${data}.audience`);
    const report = await world.runOne();
    expect(report.status).toBe('aborted');
    expect(report.error).toMatch(/returned no members while the cohort holds 1000/);
    expect(cohortMembers(braze, 'cohort-sync-storm')).toHaveLength(1000);
  });
});
