import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/emulator-server.js';
import { cohortMembers, emulator } from '../../support/emulator.js';
import type { FakeBigQuery, FakeJob } from '../../support/fake-bigquery/fake-bigquery.js';
import { fakeBigQueryAudience, userIdsSql } from '../../support/fake-bigquery/fake-bigquery-warehouse.js';
import { tempDir } from '../../support/temp-dir.js';
import { World } from '../../support/world.js';

const users = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();

describe('a sync on BigQuery, through the real SDK against the fake', () => {
  let world: World;
  let braze: RunningEmulator;
  let fake: FakeBigQuery;
  let data: string;
  let queryFile: string;

  async function setAudience(from: number, to: number): Promise<void> {
    await world.warehouse.exec(
      `DELETE FROM \`${data}.audience\` WHERE TRUE`,
      `INSERT INTO \`${data}.audience\` (external_id) ${userIdsSql(from, to)}`,
    );
  }

  /**
   * The jobs of one run: after the state schema's version check that precedes it, up to (not including)
   * the write of its final audit row.
   */
  function jobsOfRun(runId: string, since: number): FakeJob[] {
    const after = fake.jobs.slice(since);
    const jobs = after.slice(
      after.findIndex((job) => job.sql.startsWith('select `version`, `description` from')) + 1,
    );
    const final = jobs.findIndex(
      (job) => job.sql.includes('`bytes_billed`') && job.parameters.includes(runId),
    );
    expect(final).toBeGreaterThan(0);
    return jobs.slice(0, final + 1); // through the final snapshot apply, whose bytes the run records once it has run
  }

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const made = await fakeBigQueryAudience(dir, 1, 2500);
    ({ fake, data } = made);
    queryFile = path.join(dir, 'audience.sql');
    await writeFile(queryFile, `SELECT external_id FROM \`${data}.audience\` -- every user\n`);
    world = new World(dir, made.warehouse, braze, [
      { name: 'vip', query: `SELECT external_id FROM \`${data}.audience\`` },
    ]);
  });

  it('first run adds every member, paging results and polling a job still running', async () => {
    fake.pageRows = 700; // the 2,500 changes stream in four pages
    fake.pendingPolls = 1; // every job answers jobComplete: false once
    const since = fake.jobs.length;
    const report = await world.runOne();
    fake.pendingPolls = 0;
    expect(report).toMatchObject({ status: 'succeeded', query_rows: 2500, to_add: 2500, added: 2500 });
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual(users(1, 2500));
    const snapshot = await world.query(`SELECT COUNT(*) AS n FROM \`$state.cohort_snapshot\``);
    expect(snapshot).toEqual([{ n: 2500 }]);

    const jobs = fake.jobs.slice(since);
    // The diff ran in the warehouse with BigQuery's set operator; stage tables expire on their own.
    expect(jobs.some((job) => job.sql.includes('EXCEPT DISTINCT'))).toBe(true);
    const stages = jobs.filter((job) => /^CREATE TABLE `[^`]+`\.`stage_/.test(job.sql));
    expect(stages.length).toBe(2);
    for (const stage of stages)
      expect(stage.options).toEqual([
        'expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 24 HOUR)',
      ]);
  });

  it('records the bytes BigQuery reported for the run in sync_runs', async () => {
    await setAudience(101, 2600);
    const since = fake.jobs.length;
    const report = await world.runOne();
    const [run] = await world.query<{ bytes_processed: number; bytes_billed: number }>(
      `SELECT bytes_processed, bytes_billed FROM \`$state.sync_runs\` WHERE run_id = '${report.run_id}'`,
    );
    const jobs = jobsOfRun(report.run_id, since);
    expect(run).toEqual({
      bytes_processed: jobs.reduce((sum, job) => sum + job.bytesProcessed, 0),
      bytes_billed: jobs.reduce((sum, job) => sum + job.bytesBilled, 0),
    });
    expect(run!.bytes_billed).toBeGreaterThan(0);
  });

  it('second run sends only the churn: adds and removes, and the snapshot follows', async () => {
    await setAudience(301, 2800);
    const report = await world.runOne();
    expect(report).toMatchObject({
      status: 'succeeded',
      to_add: 200,
      to_remove: 200,
      added: 200,
      removed: 200,
    });
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual(users(301, 2800));
    const snapshot = await world.query<{ id: string }>(
      `SELECT id FROM \`$state.cohort_snapshot\` WHERE sync_name = 'vip' ORDER BY id`,
    );
    expect(snapshot.map((row) => `external_id:${row.id}`)).toEqual(users(301, 2800));
  });

  it('a guardrail aborts a run that would remove most of the cohort, before sending anything', async () => {
    await setAudience(301, 500);
    const before = braze.state.history.length;
    const report = await world.runOne();
    expect(report.status).toBe('aborted');
    expect(report.error).toMatch(/guardrail/);
    expect(braze.state.history.length).toBe(before);
    const [run] = await world.query(
      `SELECT status, to_remove FROM \`$state.sync_runs\` WHERE run_id = '${report.run_id}'`,
    );
    expect(run).toEqual({ status: 'aborted', to_remove: 2300 });
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual(users(301, 2800));
  });

  it('an SDK error names the sync and the query file and says what to check', async () => {
    const fileWorld = new World(world.dir, world.warehouse, braze, [
      { name: 'from_file', query: '', queryFile },
    ]);
    fake.failNext(/CREATE TABLE `[^`]+`\.`stage_\w+_members`/, {
      status: 403,
      reason: 'accessDenied',
      message: `Access Denied: Table ${data}.audience: User does not have permission to query table ${data}.audience`,
    });
    const report = await fileWorld.runOne();
    expect(report.status).toBe('failed');
    expect(report.error).toContain('sync "from_file"');
    expect(report.error).toContain(`query file ${queryFile}`);
    expect(report.error).toContain('Access Denied');
    expect(report.error).toContain('roles cohort-sync needs');
  });
});
