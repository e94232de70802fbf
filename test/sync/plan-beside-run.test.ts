import { beforeAll, describe, expect, it } from 'vitest';
import { stageTables } from '../../src/diff/stage-tables.js';
import { cohortMembers } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { audienceWarehouse } from '../support/audience.js';
import { World } from '../support/world.js';

/**
 * A `plan` takes no lock, so a `run` of the same sync may start while it goes on in another process. The
 * plan is seen here as the warehouse shows it: a dry-run row `running` in sync_runs, and its stage table.
 */
describe.each(ENGINES)('a run beside a plan of the same sync, on $name', (engine) => {
  let world: World;
  let data: string;

  /** What a plan in another process leaves in the warehouse while it goes on, started `hoursAgo`. */
  async function planInProgress(runId: string, hoursAgo: number): Promise<string> {
    const startedAt = new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
    const stage = stageTables(runId, world.warehouse.stateSchema).members;
    await world.warehouse.exec(
      `INSERT INTO ${world.warehouse.stateSchema}.sync_runs (run_id, sync_name, cohort_id, cohort_name, trigger, dry_run, status, started_at, added, removed, failed, requests, retries)
       VALUES ('${runId}', 'vip', 'cohort-sync-vip', 'VIP', 'manual', true, 'running', CAST('${startedAt}' AS TIMESTAMP), 0, 0, 0, 0, 0)`,
      `CREATE TABLE ${world.warehouse.stateSchema}.${stage} (id TEXT)`,
    );
    return stage;
  }

  const statusOf = async (runId: string) =>
    (
      await world.query<{ status: string }>(`SELECT status FROM $state.sync_runs WHERE run_id = '${runId}'`)
    )[0]?.status;
  const tableExists = async (table: string) =>
    (
      await world.query(
        `SELECT table_name FROM information_schema.tables WHERE LOWER(table_schema) = LOWER('${world.warehouse.stateSchema}') AND LOWER(table_name) = '${table}'`,
      )
    ).length > 0;

  beforeAll(async () => {
    const setup = await audienceWarehouse(engine);
    data = setup.data;
    world = new World(setup.dir, setup.warehouse, setup.braze, [
      { name: 'vip', query: `SELECT external_id FROM ${data}.audience` },
    ]);
    await world.runOne(); // the state tables exist
    await world.warehouse.exec(`INSERT INTO ${data}.audience VALUES ('user-1'), ('user-2')`);
  });

  it('leaves a plan in progress running, with its stage tables, and sends as usual', async () => {
    const stage = await planInProgress('plan-in-progress-0001', 0);
    const report = await world.runOne();
    expect(report).toMatchObject({ status: 'succeeded', added: 2 });
    expect(cohortMembers(world.braze, 'cohort-sync-vip')).toHaveLength(2);
    expect(await statusOf('plan-in-progress-0001')).toBe('running');
    expect(await tableExists(stage)).toBe(true);
  });

  it('marks a plan still `running` after a day abandoned: its process is gone', async () => {
    await planInProgress('plan-of-yesterday-0001', 25);
    await world.warehouse.exec(`INSERT INTO ${data}.audience VALUES ('user-3')`);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 1 });
    expect(await statusOf('plan-of-yesterday-0001')).toBe('abandoned');
  });
});
