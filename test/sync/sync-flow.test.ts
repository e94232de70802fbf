import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import type { SyncEvent } from '../../src/sync/sync-events.js';
import { cohortMembers, emulator, membershipRequests } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

const engines = [...ENGINES, bigqueryEngine];

const QUERY = 'SELECT external_id, device_id, alias_name, alias_label FROM $data.customers WHERE score >= 40';

const BRAZE_USERS = [
  { external_id: 'u1', device_ids: ['dev-u1'] },
  { external_id: 'u2' },
  { external_id: 'u3' },
  { external_id: 'u4' },
  { device_ids: ['anon-1'] },
  { device_ids: ['anon-2'] },
  { device_ids: ['anon-3'] },
  { aliases: [{ alias_name: 'a@x.com', alias_label: 'email' }] },
];

const CUSTOMERS = `CREATE TABLE $data.customers AS SELECT * FROM (VALUES
  ('u1', 'dev-u1', NULL, NULL, 50),
  ('u2', NULL, NULL, NULL, 60),
  ('u3', NULL, NULL, NULL, 10),
  (NULL, 'anon-1', NULL, NULL, 70),
  (NULL, 'anon-2', NULL, NULL, 45),
  (NULL, NULL, 'a@x.com', 'email', 80),
  ('ghost', NULL, NULL, NULL, 90),
  (NULL, NULL, NULL, NULL, 99),
  ('u2', NULL, NULL, NULL, 65),
  ('u4', NULL, NULL, NULL, 55)
) AS t(external_id, device_id, alias_name, alias_label, score)`;

describe.each(engines)('a sync on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;

  beforeAll(async () => {
    if (!(await engine.available())) throw new Error(`${engine.name} is not reachable`);
    const dir = await tempDir();
    braze = await emulator({ users: BRAZE_USERS });
    const warehouse = engine.isolate(dir);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(`CREATE SCHEMA IF NOT EXISTS ${data}`, CUSTOMERS.replace('$data', data));
    world = new World(dir, warehouse, braze, [
      { name: 'vip', cohort_name: 'VIP customers', query: QUERY.replace('$data', data) },
    ]);
  });

  it('first run: adds every member, skips NULL and duplicate rows, and audits exact counts', async () => {
    const report = await world.runOne();
    expect(report).toMatchObject({
      status: 'succeeded',
      query_rows: 9,
      skipped_null: 1,
      skipped_duplicate: 1,
      skipped_invalid: 0,
      to_add: 7,
      to_remove: 0,
      added: 7,
      removed: 0,
      failed: 0,
    });
    // ghost is in the query result but unknown to Braze: Braze ignores it.
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual([
      'alias:email:a@x.com',
      'device_id:anon-1',
      'device_id:anon-2',
      'external_id:u1',
      'external_id:u2',
      'external_id:u4',
    ]);
    expect(braze.state.workspaces[0]!.cohorts.get('cohort-sync-vip')?.name).toBe('VIP customers');

    const [run] = await world.query(`SELECT * FROM $state.sync_runs WHERE run_id = '${report.run_id}'`);
    expect(run).toMatchObject({
      sync_name: 'vip',
      status: 'succeeded',
      dry_run: false,
      trigger: 'manual',
      query_rows: 9,
      skipped_null: 1,
      skipped_duplicate: 1,
      to_add: 7,
      added: 7,
      requests: 2,
      retries: 0,
    });
    expect(run?.finished_at).not.toBeNull();
    const changes = await world.query(
      `SELECT status, COUNT(*) AS n FROM $state.sync_changes WHERE run_id = '${report.run_id}' GROUP BY status`,
    );
    expect(changes).toEqual([{ status: 'sent', n: 7 }]);
    const snapshot = await world.query<{ id_type: string; id: string; alias_label: string }>(
      `SELECT id_type, id, alias_label FROM $state.cohort_snapshot WHERE sync_name = 'vip' ORDER BY id_type, id`,
    );
    expect(snapshot.map((r) => `${r.id_type}:${r.id}${r.alias_label ? `@${r.alias_label}` : ''}`)).toEqual([
      'alias:a@x.com@email',
      'device_id:anon-1',
      'device_id:anon-2',
      'external_id:ghost',
      'external_id:u1',
      'external_id:u2',
      'external_id:u4',
    ]);
  });

  it('second run: sends only the delta, including a user whose row moved from device_id to external_id', async () => {
    await world.warehouse.exec(
      `UPDATE ${data}.customers SET score = 50 WHERE external_id = 'u3'`,
      `UPDATE ${data}.customers SET score = 5 WHERE external_id = 'u4'`,
      `UPDATE ${data}.customers SET external_id = 'u5' WHERE device_id = 'anon-2'`,
      `INSERT INTO ${data}.customers VALUES (NULL, 'anon-3', NULL, NULL, 41)`,
    );
    // In Braze the anonymous profile of anon-2 was identified as u5.
    braze.state.workspaces[0]!.directory.upsert([{ external_id: 'u5', device_ids: ['anon-2'] }]);
    const before = membershipRequests(braze).length;

    const report = await world.runOne();
    expect(report).toMatchObject({ status: 'succeeded', to_add: 3, to_remove: 2, added: 3, removed: 2 });
    const requests = membershipRequests(braze).slice(before);
    expect(requests).toHaveLength(1); // adds and removes share one request
    expect(requests[0]).toMatchObject({ status: 201, adds: 3, removes: 1, ignored: 1 }); // anon-2 now belongs to an identified user
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual([
      'alias:email:a@x.com',
      'device_id:anon-1',
      'device_id:anon-3',
      'external_id:u1',
      'external_id:u2',
      'external_id:u3',
      'external_id:u5',
    ]);
    const changes = await world.query(
      `SELECT op, id_type, id, status FROM $state.sync_changes WHERE run_id = '${report.run_id}' ORDER BY op, id`,
    );
    expect(changes).toEqual([
      { op: 'add', id_type: 'device_id', id: 'anon-3', status: 'sent' },
      { op: 'add', id_type: 'external_id', id: 'u3', status: 'sent' },
      { op: 'add', id_type: 'external_id', id: 'u5', status: 'sent' },
      { op: 'remove', id_type: 'device_id', id: 'anon-2', status: 'sent' },
      { op: 'remove', id_type: 'external_id', id: 'u4', status: 'sent' },
    ]);
  });

  it('third run without changes sends no membership request and no cohort update', async () => {
    const before = braze.state.history.length;
    const report = await world.runOne();
    expect(report).toMatchObject({ status: 'succeeded', to_add: 0, to_remove: 0, requests: 0 });
    expect(braze.state.history.length).toBe(before);
  });

  it('renaming the cohort in config renames it in Braze without resending members', async () => {
    world.syncs[0]!.cohort_name = 'VIP customers (renamed)';
    const before = membershipRequests(braze).length;
    const report = await world.runOne();
    expect(report.status).toBe('succeeded');
    expect(braze.state.workspaces[0]!.cohorts.get('cohort-sync-vip')?.name).toBe('VIP customers (renamed)');
    expect(membershipRequests(braze).length).toBe(before);
  });

  it('plan and --dry-run change nothing in Braze or the snapshot', async () => {
    await world.warehouse.exec(`UPDATE ${data}.customers SET score = 99 WHERE external_id = 'u4'`);
    const before = braze.state.history.length;
    const snapshotBefore = await world.query(`SELECT COUNT(*) AS n FROM $state.cohort_snapshot`);
    const report = await world.runOne({ dryRun: true, sample: 5 });
    expect(report).toMatchObject({ status: 'succeeded', dry_run: true, to_add: 1, to_remove: 0, added: 0 });
    expect(report.samples?.add).toEqual([{ id_type: 'external_id', id: 'u4', alias_label: '' }]);
    expect(braze.state.history.length).toBe(before);
    expect(await world.query(`SELECT COUNT(*) AS n FROM $state.cohort_snapshot`)).toEqual(snapshotBefore);
    const [run] = await world.query(
      `SELECT dry_run, status FROM $state.sync_runs WHERE run_id = '${report.run_id}'`,
    );
    expect(run).toEqual({ dry_run: true, status: 'succeeded' });
  });

  it('tells observers how the run goes: started, diff computed, batches done, finished', async () => {
    await world.warehouse.exec(`UPDATE ${data}.customers SET score = 1 WHERE external_id = 'u1'`);
    const events: SyncEvent[] = [];
    const [report] = await world.run({ onEvent: (event) => events.push(event) });
    expect(events.map((e) => e.type)).toEqual(['run_started', 'diff_computed', 'batch_done', 'run_finished']);
    expect(events[1]).toMatchObject({ to_add: 1, to_remove: 1 });
    expect(events[2]).toMatchObject({ sent: 2, failed: 0, total: 2 });
    expect(events[3]).toEqual({ type: 'run_finished', report });
  });

  it('a changed cohort_id starts the new cohort from empty: plan shows every member, run sends every member', async () => {
    const members = cohortMembers(braze, 'cohort-sync-vip');
    world.syncs[0]!.extra = 'cohort_id: vip-2027';
    const plan = await world.runOne({ dryRun: true });
    expect(plan).toMatchObject({ snapshot_size: 0, to_add: plan.members, to_remove: 0 });
    const report = await world.runOne();
    expect(report).toMatchObject({ status: 'succeeded', added: report.members, removed: 0 });
    expect(cohortMembers(braze, 'vip-2027')).toEqual(members);
    const [snapshot] = await world.query(
      `SELECT COUNT(*) AS n FROM $state.cohort_snapshot WHERE sync_name = 'vip'`,
    );
    expect(snapshot).toEqual({ n: report.members });
  });

  it('leaves no stage tables behind', async () => {
    const tables = await world.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = '${world.warehouse.stateSchema}' AND table_name LIKE 'stage_%'`,
    );
    expect(tables).toEqual([]);
  });
});
