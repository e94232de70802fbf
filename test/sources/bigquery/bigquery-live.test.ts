import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WarehouseConfig } from '../../../src/config/types.js';
import { atEnd } from '../../support/cleanup.js';
import { cohortMembers, emulator } from '../../support/emulator.js';
import { execWith, type TestWarehouse } from '../../support/engines.js';
import { userIdsSql } from '../../support/fake-bigquery/fake-bigquery-warehouse.js';
import { tempDir } from '../../support/temp-dir.js';
import { World } from '../../support/world.js';

/**
 * The same sync against real BigQuery, when credentials are given: COHORT_SYNC_LIVE_BIGQUERY=project_id/location
 * (e.g. `my-project/EU`), with Application Default Credentials or GOOGLE_APPLICATION_CREDENTIALS. It creates
 * a dataset of its own and drops it at the end; it bills a few hundred MB (every DML job bills at least 10 MB).
 */
const LIVE = process.env.COHORT_SYNC_LIVE_BIGQUERY;
if (!LIVE)
  console.warn(
    '\n⚠ BigQuery live suite SKIPPED: set COHORT_SYNC_LIVE_BIGQUERY=project_id/location (and Application Default ' +
      'Credentials) to run test/sources/bigquery/bigquery-live.test.ts against real BigQuery.\n',
  );

const users = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();

describe.skipIf(!LIVE)('a sync on live BigQuery', () => {
  it('adds, then sends only the churn, recording bytes billed', async () => {
    const [project = '', location = 'US'] = (LIVE ?? '').split('/');
    const dataset = `cohort_sync_test_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const config: WarehouseConfig = {
      type: 'bigquery',
      project_id: project,
      location,
      stage_expiration_hours: 1,
    };
    const warehouse: TestWarehouse = {
      yaml: `{ type: bigquery, project_id: ${project}, location: ${location}, stage_expiration_hours: 1 }`,
      config,
      stateSchema: dataset,
      exec: (...statements) => execWith(config, statements),
    };
    atEnd(() => warehouse.exec(`DROP SCHEMA IF EXISTS \`${dataset}\` CASCADE`));
    const braze = await emulator({ allUsersExist: true });
    const world = new World(await tempDir(), warehouse, braze, [
      { name: 'live', query: userIdsSql(1, 1500) },
    ]);

    const first = await world.runOne();
    expect(first).toMatchObject({ status: 'succeeded', to_add: 1500, added: 1500 });
    world.syncs[0]!.query = userIdsSql(201, 1700);
    const second = await world.runOne();
    expect(second).toMatchObject({ status: 'succeeded', to_add: 200, to_remove: 200 });
    expect(cohortMembers(braze, 'cohort-sync-live')).toEqual(users(201, 1700));
    const [run] = await world.query<{ bytes_billed: number }>(
      `SELECT bytes_billed FROM \`$state.sync_runs\` WHERE run_id = '${second.run_id}'`,
    );
    expect(run?.bytes_billed).toBeGreaterThan(0);
    const leftovers = await world.query(
      `SELECT table_name FROM \`$state.INFORMATION_SCHEMA.TABLES\` WHERE table_name LIKE 'stage_%'`,
    );
    expect(leftovers).toEqual([]);
  });
});
