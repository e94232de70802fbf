import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { runCli, spawnCli, type SpawnedCli } from '../support/cli.js';
import { TEST_ENV, cohortMembers, membershipRequests } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { snapshotMembers, unexplainedDifferences } from '../support/invariants.js';
import {
  answeredSince,
  auditedRunIds,
  auditedRunsSince,
  lastSeq,
  recordScenario,
} from '../support/reliability-figures.js';
import { audienceWarehouse } from '../support/audience.js';
import { World } from '../support/world.js';

// Snowflake is left out: it keeps a killed client's open transaction, and its table locks, until the session
// expires (docs/warehouses.md), so the next run right after a kill inside a transaction would wait.
const KILLABLE = [...ENGINES, bigqueryEngine].filter((engine) => engine.releasesLocksOfKilledClients);

const SYNC = 'crashy';
const COHORT = `cohort-sync-${SYNC}`;
/** Per membership request while a test waits for the moment to kill; long enough to land between batches. */
const LATENCY_MS = 120;

/**
 * Invariants 1–3 under SIGKILL and SIGTERM/SIGINT of the real CLI process, with the Braze emulator in this
 * process so that what Braze holds can be compared with what the warehouse claims.
 */
describe.each(KILLABLE)('crash safety of cohort-sync run on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;
  let baseQuery: string;
  let desired: string[] = [];

  const users = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();
  async function setAudience(from: number, to: number): Promise<void> {
    await world.warehouse.exec(
      `DELETE FROM ${data}.audience`,
      `INSERT INTO ${data}.audience ${engine.userIds(from, to)}`,
    );
    desired = users(from, to);
  }
  const start = (env: NodeJS.ProcessEnv = {}): SpawnedCli =>
    spawnCli(['run', '--config', world.configFile], { env: { ...TEST_ENV, ...env } });
  async function untilBrazeConfirmed(requests: number, cli: SpawnedCli): Promise<void> {
    const target = membershipRequests(braze, 201).length + requests;
    while (membershipRequests(braze, 201).length < target) {
      await Promise.race([sleep(5), cli.exited]);
      if (cli.output().stdout)
        throw new Error(`the run ended before the kill point:\n${cli.output().stdout}`);
    }
  }
  async function runsWithStatus(status: string): Promise<string[]> {
    const rows = await world.query<{ run_id: string }>(
      `SELECT run_id FROM $state.sync_runs WHERE sync_name = '${SYNC}' AND status = '${status}'`,
    );
    return rows.map((row) => row.run_id);
  }

  /** Where each test starts: its runs and requests are the ones after these, for the figures. */
  let earlierRuns = new Set<string>();
  let firstSeq = 0;
  beforeEach(async () => {
    earlierRuns = await auditedRunIds(world, SYNC);
    firstSeq = lastSeq(braze.state.history);
  });
  async function recordFigures(scenario: string, signal: NodeJS.Signals): Promise<void> {
    const runs = await auditedRunsSince(world, SYNC, earlierRuns);
    recordScenario({
      file: import.meta.filename,
      engine: engine.name,
      scenario,
      runs,
      answered: answeredSince(braze.state.history, firstSeq),
      runsToConverge: runs.length,
      signals: [signal],
    });
  }

  /** The same checks after every kill: nothing wrongly claimed, the next run proceeds, cleans up, converges. */
  async function afterKill(killed: SpawnedCli, scenario: string): Promise<string> {
    expect(await killed.exited).toMatchObject({ signal: 'SIGKILL' });
    await sleep(LATENCY_MS * 2); // requests in flight at the kill still reach Braze (and are applied)
    braze.state.faults.configure({});
    const [dead, ...others] = await runsWithStatus('running');
    expect(others).toEqual([]);
    expect(dead).toBeDefined();
    expect(await unexplainedDifferences(world, braze, SYNC, COHORT, [dead!])).toEqual({
      snapshotOnly: [],
      brazeOnly: [],
    });

    const next = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
    expect(next).toMatchObject({ code: 0, stdout: expect.stringMatching(/^crashy: succeeded/m) as unknown });
    const [abandoned] = await world.query(
      `SELECT status, error, finished_at FROM $state.sync_runs WHERE run_id = '${dead}'`,
    );
    expect(abandoned).toMatchObject({
      status: 'abandoned',
      error: expect.stringMatching(/stopped before/) as unknown,
    });
    expect(abandoned?.finished_at).not.toBeNull();
    const stageTables = await world.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = '${world.warehouse.stateSchema}' AND table_name LIKE 'stage_%'`,
    );
    expect(stageTables).toEqual([]);
    expect(cohortMembers(braze, COHORT)).toEqual(desired);
    expect(await snapshotMembers(world, SYNC)).toEqual(desired);
    await recordFigures(scenario, 'SIGKILL');
    return dead!;
  }

  beforeAll(async () => {
    const { dir, warehouse, ...setup } = await audienceWarehouse(engine);
    ({ braze, data } = setup);
    baseQuery = `SELECT external_id FROM ${data}.audience`;
    world = new World(
      dir,
      warehouse,
      braze,
      [{ name: SYNC, query: baseQuery }],
      'concurrency: 2\n  retry: { max_attempts: 6, base_delay_ms: 5, max_delay_ms: 50, max_elapsed_seconds: 30 }',
    );
    world.stateExtra = 'checkpoint_batches: 2';
    await setAudience(1, 6000);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 6000 });
  });

  it('SIGKILL while the warehouse stages the query: nothing sent, nothing claimed; the next run cleans up and converges', async () => {
    await setAudience(1, 7000);
    world.syncs[0]!.query = engine.slowSelect(baseQuery);
    await world.config();
    const before = membershipRequests(braze).length;
    const cli = start();
    await cli.waitFor(/staging query result/);
    await sleep(300);
    cli.signal('SIGKILL');
    await cli.exited;
    expect(membershipRequests(braze).length).toBe(before);
    expect(await snapshotMembers(world, SYNC)).toEqual(users(1, 6000));

    world.syncs[0]!.query = baseQuery;
    await world.config();
    await afterKill(cli, 'SIGKILL while the warehouse stages the query');
  });

  it('SIGKILL between batches, with checkpoints written and requests in flight: the snapshot claims nothing Braze lacks', async () => {
    await setAudience(3001, 12000); // 3,000 removes and 5,000 adds: 8 requests
    braze.state.faults.configure({ latency_ms: LATENCY_MS, membership_only: true });
    const cli = start();
    await untilBrazeConfirmed(5, cli);
    cli.signal('SIGKILL');
    await afterKill(cli, 'SIGKILL between batches, requests in flight');
  });

  it('SIGKILL inside the snapshot transaction: it rolls back whole; the next run converges', async () => {
    const before = await snapshotMembers(world, SYNC);
    await setAudience(1001, 10000); // 2,000 adds and 2,000 removes
    const cli = start({ COHORT_SYNC_TEST_PAUSE_AT: 'snapshot_apply' });
    await cli.waitFor(/paused at snapshot_apply/);
    cli.signal('SIGKILL');
    await cli.exited;
    const [dead] = await runsWithStatus('running');
    const sent = await world.query(
      `SELECT COUNT(*) AS n FROM $state.sync_changes WHERE run_id = '${dead}' AND status = 'sent'`,
    );
    expect(sent).toEqual([{ n: 0 }]);
    expect(await snapshotMembers(world, SYNC)).toEqual(before);
    expect(membershipRequests(braze, 201).length).toBeGreaterThan(0);
    await afterKill(cli, 'SIGKILL inside the snapshot transaction');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s stops gracefully: requests in flight finish, confirmed batches are saved, the run is interrupted, exit 1',
    async (signal) => {
      await setAudience(1, signal === 'SIGTERM' ? 20000 : 30000); // 10,000 or more adds: 10 requests or more
      braze.state.faults.configure({ latency_ms: LATENCY_MS, membership_only: true });
      const cli = start();
      await untilBrazeConfirmed(2, cli);
      cli.signal(signal);
      const result = await cli.exited;
      braze.state.faults.configure({});
      expect(result).toMatchObject({ code: 1, signal: null });
      expect(result.stderr).toMatch(/stopping: finishing requests in flight/);
      expect(result.stdout).toMatch(/^crashy: interrupted/m);
      expect(result.stderr).not.toMatch(/\n\s+at /);

      const [run] = await world.query<{
        run_id: string;
        added: number;
        removed: number;
        finished_at: unknown;
      }>(
        `SELECT run_id, added, removed, finished_at FROM $state.sync_runs WHERE sync_name = '${SYNC}' ORDER BY started_at DESC LIMIT 1`,
      );
      expect(run).toMatchObject({ finished_at: expect.anything() as unknown });
      expect(await runsWithStatus('interrupted')).toContain(run!.run_id);
      // Every request Braze applied was answered and saved: the snapshot is exactly Braze's cohort.
      expect(await snapshotMembers(world, SYNC)).toEqual(cohortMembers(braze, COHORT));
      const [sent] = await world.query(
        `SELECT COUNT(*) AS n FROM $state.sync_changes WHERE run_id = '${run!.run_id}' AND status = 'sent'`,
      );
      expect(sent).toEqual({ n: Number(run!.added) + Number(run!.removed) });
      expect(Number(run!.added) + Number(run!.removed)).toBeGreaterThan(0);
      expect(cohortMembers(braze, COHORT)).not.toEqual(desired); // it really stopped early

      const next = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
      expect(next.code).toBe(0);
      expect(await runsWithStatus('interrupted')).toContain(run!.run_id); // not re-marked abandoned
      expect(cohortMembers(braze, COHORT)).toEqual(desired);
      expect(await snapshotMembers(world, SYNC)).toEqual(desired);
      await recordFigures(`${signal} while sending`, signal);
    },
  );
});
