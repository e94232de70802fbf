import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { errorMessage } from '../../src/errors.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { spawnCli } from '../support/cli.js';
import { TEST_ENV, cohortMembers, emulator, membershipRequests } from '../support/emulator.js';
import { postgresEngine, type TestWarehouse } from '../support/engines.js';
import { snapshotMembers, unexplainedDifferences } from '../support/invariants.js';
import { adminQuery } from '../support/postgres-server.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

const COHORT = 'cohort-sync-drop';

/** Ends every session of this test's cohort-sync connections, as a failover or a DBA would. */
async function terminateSessions(warehouse: TestWarehouse): Promise<number> {
  const rows = await adminQuery<{ ended: boolean }>(
    `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
    [warehouse.stateSchema],
  );
  return rows.length;
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Statement timeouts and connections PostgreSQL drops in the middle of a run. */
describe.skipIf(!inject('postgresAvailable'))('PostgreSQL connection faults', () => {
  let world: World;
  let braze: RunningEmulator;
  let warehouse: TestWarehouse;
  let data: string;
  let baseQuery: string;
  const users = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();
  const setAudience = (from: number, to: number) =>
    warehouse.exec(
      `DELETE FROM ${data}.audience`,
      `INSERT INTO ${data}.audience ${postgresEngine.userIds(from, to)}`,
    );

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    warehouse = postgresEngine.isolate(dir);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(`CREATE SCHEMA ${data}`, `CREATE TABLE ${data}.audience (external_id TEXT)`);
    baseQuery = `SELECT external_id FROM ${data}.audience`;
    world = new World(
      dir,
      warehouse,
      braze,
      [{ name: 'drop', query: baseQuery }],
      'concurrency: 1\n  retry: { max_attempts: 6, base_delay_ms: 5, max_delay_ms: 50, max_elapsed_seconds: 30 }',
    );
    await setAudience(1, 1000);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 1000 });
  });

  it('a statement that outruns statement_timeout_seconds fails the run with a message naming the sync and the key', async () => {
    const timed = new World(
      world.dir,
      { ...warehouse, yaml: warehouse.yaml.replace(/ }$/, ', statement_timeout_seconds: 0.5 }') },
      braze,
      [{ name: 'drop', query: postgresEngine.slowSelect(baseQuery) }],
    );
    const before = braze.state.history.length;
    const report = await timed.runOne();
    expect(report.status).toBe('failed');
    expect(report.error).toBe(
      'sync "drop": staging the query result failed: PostgreSQL cancelled a statement that ran longer than 0.5 s ' +
        '(warehouse.statement_timeout_seconds); raise the limit or make the query cheaper',
    );
    expect(braze.state.history.length).toBe(before);
    expect(await snapshotMembers(world, 'drop')).toEqual(users(1, 1000));
  });

  it('a connection dropped while the warehouse stages the query: the run fails naming the sync, the snapshot is untouched', async () => {
    await setAudience(1, 1500);
    world.syncs[0]!.query = postgresEngine.slowSelect(baseQuery);
    // The run records its failure (retrying once on a fresh connection); should that fail too, the same
    // error is thrown instead and the next run marks this one abandoned. Either way the message names the
    // sync, the step and what happened.
    const running = world.runOne().then(
      (report) => ({ report, message: report.error }),
      (error: unknown) => ({ report: undefined, message: errorMessage(error) }),
    );
    await until(async () => {
      const rows = await adminQuery(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE '%pg_sleep%'`,
        [warehouse.stateSchema],
      );
      return rows.length > 0;
    }, 'the run to stage its query');
    world.syncs[0]!.query = baseQuery; // for the runs after this one
    expect(await terminateSessions(warehouse)).toBeGreaterThanOrEqual(2); // the staging statement and the lock
    const { report, message } = await running;
    expect(report?.status ?? 'failed').toBe('failed');
    expect(message).toMatch(
      /^sync "drop": staging the query result failed: lost the connection to PostgreSQL at 127\.0\.0\.1:5432\/test as postgres: terminating connection due to administrator command$/,
    );
    expect(await snapshotMembers(world, 'drop')).toEqual(users(1, 1000));
    expect(cohortMembers(braze, COHORT)).toEqual(users(1, 1000));

    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 500 });
    expect(cohortMembers(braze, COHORT)).toEqual(users(1, 1500));
  });

  it('a connection dropped while batches are being sent: sending stops, the snapshot claims only what Braze confirmed, the next run converges', async () => {
    await setAudience(1, 6500); // 5,000 adds: five requests, one at a time
    braze.state.faults.configure({ latency_ms: 150, membership_only: true });
    const confirmedBefore = membershipRequests(braze, 201).length;
    let report: SyncReport | undefined;
    let thrown: unknown;
    const running = world.runOne().then(
      (r) => (report = r),
      (error: unknown) => (thrown = error),
    );
    await until(
      () =>
        report !== undefined ||
        thrown !== undefined ||
        membershipRequests(braze, 201).length >= confirmedBefore + 2,
      'two confirmed requests',
    );
    expect(report ?? thrown).toBeUndefined();
    await terminateSessions(warehouse);
    await running;
    braze.state.faults.configure({});

    expect(thrown).toBeUndefined();
    expect(['partial', 'failed']).toContain(report!.status);
    expect(report!.error).toMatch(
      /lost the (sync lock \(lost the )?connection to PostgreSQL at 127\.0\.0\.1:5432\/test as postgres: terminating connection due to administrator command/,
    );
    expect(membershipRequests(braze).length - confirmedBefore).toBeLessThan(5); // it stopped sending
    expect(await unexplainedDifferences(world, braze, 'drop', COHORT, [report!.run_id])).toEqual({
      snapshotOnly: [],
      brazeOnly: [],
    });

    const next = await world.runOne();
    expect(next.status).toBe('succeeded');
    expect(cohortMembers(braze, COHORT)).toEqual(users(1, 6500));
    expect(await snapshotMembers(world, 'drop')).toEqual(users(1, 6500));
  });

  it('a run killed while PostgreSQL stages its query leaves no stage table behind, even though the query finishes later', async () => {
    world.syncs[0]!.query = `SELECT * FROM (${baseQuery}) AS q WHERE (SELECT COUNT(*) FROM pg_sleep(1.5)) >= 0`;
    await world.config();
    world.syncs[0]!.query = baseQuery;
    const staging = () =>
      adminQuery(
        `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'create table%pg_sleep%'`,
        [warehouse.stateSchema],
      );
    const cli = spawnCli(['run', '--config', world.configFile], { env: TEST_ENV });
    await until(async () => (await staging()).length > 0, 'the run to stage its query');
    cli.signal('SIGKILL');
    expect(await cli.exited).toMatchObject({ signal: 'SIGKILL' });
    // The server finishes the statement, finds the client gone, and rolls the table back.
    await until(async () => (await staging()).length === 0, 'the orphaned statement to end');
    const tables = await adminQuery(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'stage_%'`,
      [warehouse.stateSchema],
    );
    expect(tables).toEqual([]);
    await world.config();
    expect(await world.runOne()).toMatchObject({ status: 'succeeded' });
  });
});
