import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { PostgresSource } from '../../src/sources/postgres/postgres-source.js';
import { lockKey } from '../../src/state/lock-key.js';
import { LATEST_VERSION, migrateState } from '../../src/state/migrations.js';
import { atEnd } from '../support/cleanup.js';
import { cohortMembers, emulator, membershipRequests } from '../support/emulator.js';
import { postgresEngine, type TestWarehouse } from '../support/engines.js';
import { TEST_POSTGRES_URL, adminQuery } from '../support/postgres-server.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

function postgresConfig(warehouse: TestWarehouse) {
  if (warehouse.config.type !== 'postgres') throw new Error('a PostgreSQL test warehouse was expected');
  return warehouse.config;
}

/** A pg connection of the test's own, standing in for another cohort-sync process. */
async function otherSession(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  client.on('error', () => undefined);
  await client.connect();
  atEnd(() => client.end().catch(() => undefined));
  return client;
}

describe.skipIf(!inject('postgresAvailable'))('PostgreSQL as state store', () => {
  let world: World;
  let braze: RunningEmulator;
  let warehouse: TestWarehouse;
  let data: string;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    warehouse = postgresEngine.isolate(dir);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(
      `CREATE SCHEMA ${data}`,
      `CREATE TABLE ${data}.audience AS ${postgresEngine.userIds(1, 50)}`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'locked', query: `SELECT external_id FROM ${data}.audience` },
    ]);
  });

  it('a run whose sync is held by another session is skipped, names the holder, and sends nothing', async () => {
    await world.query('SELECT 1'); // creates the state schema
    const holder = await otherSession();
    const key = lockKey(`sync:${warehouse.stateSchema}.locked`);
    await holder.query('SELECT pg_advisory_lock(CAST($1 AS BIGINT))', [key]);
    await holder.query(
      `INSERT INTO ${warehouse.stateSchema}.sync_locks VALUES ('locked', 'elsewhere:4242', 'run-of-another-process', TIMESTAMPTZ '2026-01-02 03:04:05+00', now() + INTERVAL '1 minute')`,
    );

    const report = await world.runOne();
    expect(report.status).toBe('skipped');
    expect(report.error).toBe(
      'sync "locked" is already running (run id run-of-another-process, since 2026-01-02T03:04:05.000Z, owner elsewhere:4242)',
    );
    expect(membershipRequests(braze)).toEqual([]);
    const [run] = await world.query(
      `SELECT status, error, finished_at FROM $state.sync_runs WHERE run_id = '${report.run_id}'`,
    );
    expect(run).toMatchObject({ status: 'skipped', error: report.error });

    // The holder dies without unlocking (kill -9): its session ends, and the lock with it.
    await holder.query(
      `INSERT INTO ${warehouse.stateSchema}.sync_runs (run_id, sync_name, cohort_id, cohort_name, trigger, dry_run, status, started_at)
       VALUES ('run-of-another-process', 'locked', 'cohort-sync-locked', 'LOCKED', 'manual', false, 'running', now())`,
    );
    const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await adminQuery('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    const next = await world.runOne();
    expect(next).toMatchObject({ status: 'succeeded', added: 50 });
    expect(cohortMembers(braze, 'cohort-sync-locked')).toHaveLength(50);
    const [dead] = await world.query(
      `SELECT status FROM $state.sync_runs WHERE run_id = 'run-of-another-process'`,
    );
    expect(dead).toEqual({ status: 'abandoned' });
    // The lock row is informative: it was replaced while the run held the lock, and removed after.
    expect(await world.query(`SELECT * FROM $state.sync_locks`)).toEqual([]);
  });

  it('the advisory lock is held on a session of its own for the whole run, and released after it', async () => {
    await warehouse.exec(`INSERT INTO ${data}.audience VALUES ('user-51')`);
    const key = lockKey(`sync:${warehouse.stateSchema}.locked`);
    const held: boolean[] = [];
    const probe = await otherSession();
    const tryLock = async () => {
      const { rows } = await probe.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(CAST($1 AS BIGINT)) AS locked',
        [key],
      );
      if (rows[0]?.locked) await probe.query('SELECT pg_advisory_unlock(CAST($1 AS BIGINT))', [key]);
      return !rows[0]?.locked;
    };
    const pending: Promise<void>[] = [];
    const [report] = await world.run({
      onEvent: (event) => {
        if (event.type === 'diff_computed') pending.push(tryLock().then((busy) => void held.push(busy)));
      },
    });
    await Promise.all(pending);
    expect(report?.status).toBe('succeeded');
    expect(held).toEqual([true]);
    expect(await tryLock()).toBe(false);
  });

  it('processes migrating a new state schema at the same moment wait for each other instead of failing', async () => {
    const schema = `${warehouse.stateSchema}_m`;
    const config = { ...postgresConfig(warehouse), application_name: schema };
    const sources = await Promise.all(Array.from({ length: 4 }, () => PostgresSource.open(config)));
    try {
      await Promise.all(sources.map((source) => migrateState(source, schema)));
      const versions = await adminQuery<{ version: number }>(
        `SELECT version FROM ${schema}.schema_version ORDER BY version`,
      );
      expect(versions.map((row) => row.version)).toEqual(
        Array.from({ length: LATEST_VERSION }, (_, i) => i + 1),
      );
      const indexes = await adminQuery<{ indexname: string }>(
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname NOT LIKE '%_pkey' ORDER BY 1`,
        [schema],
      );
      expect(indexes.map((row) => row.indexname)).toEqual([
        'cohort_snapshot_member',
        'sync_changes_run_batch',
        'sync_runs_sync_started',
      ]);
    } finally {
      await Promise.all(sources.map((source) => source.close()));
      await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    }
  });

  it('runs as a role that has only USAGE and CREATE on the state schema and SELECT on the audience', async () => {
    const role = `${warehouse.stateSchema}_role`;
    const schema = `${warehouse.stateSchema}_least`;
    atEnd(async () => {
      await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await adminQuery(`DROP OWNED BY ${role}`).catch(() => undefined);
      await adminQuery(`DROP ROLE IF EXISTS ${role}`);
    });
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    await adminQuery(`CREATE SCHEMA ${schema}`); // owned by the admin, as a DBA would create it
    await adminQuery(`GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${role}`);
    await adminQuery(`GRANT USAGE ON SCHEMA ${data} TO ${role}`);
    await adminQuery(`GRANT SELECT ON ${data}.audience TO ${role}`);
    // Nothing on the database: the role cannot create a schema of its own.
    const [database] = await adminQuery<{ create: boolean }>(
      `SELECT has_database_privilege($1, current_database(), 'CREATE') AS create`,
      [role],
    );
    expect(database).toEqual({ create: false });
    const url = new URL(TEST_POSTGRES_URL);
    url.username = role;
    const limited: TestWarehouse = {
      ...warehouse,
      stateSchema: schema,
      yaml: `{ type: postgres, url: "${url.toString()}", application_name: ${warehouse.stateSchema} }`,
    };
    const least = new World(world.dir, limited, braze, [
      { name: 'least', query: `SELECT external_id FROM ${data}.audience` },
    ]);
    const report = await least.runOne();
    expect(report).toMatchObject({ status: 'succeeded', added: 51 });
    const [owner] = await adminQuery<{ tableowner: string }>(
      `SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'cohort_snapshot'`,
      [schema],
    );
    expect(owner).toEqual({ tableowner: role });

    // Without CREATE on the schema, the error says what is missing.
    const denied = `${schema}_none`;
    await adminQuery(`CREATE SCHEMA ${denied}`);
    atEnd(() => adminQuery(`DROP SCHEMA IF EXISTS ${denied} CASCADE`));
    await adminQuery(`GRANT USAGE ON SCHEMA ${denied} TO ${role}`);
    const source = await PostgresSource.open({ ...postgresConfig(warehouse), url: url.toString() });
    try {
      await expect(migrateState(source, denied)).rejects.toThrow(
        `cannot create the state schema "${denied}": permission denied for schema ${denied} (SQLSTATE 42501). ` +
          'cohort-sync needs permission to create tables in that schema (see docs/warehouses.md)',
      );
    } finally {
      await source.close();
    }
  });
});
