import { beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import type { Config } from '../../src/config/types.js';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { createSource } from '../../src/sources/create-source.js';
import { migrateState } from '../../src/state/migrations.js';
import { runSyncs } from '../../src/sync/run-syncs.js';
import { silentLogger } from '../../src/log/logger.js';
import { runCli } from '../support/cli.js';
import { TEST_ENV, emulator } from '../support/emulator.js';
import { ENGINES, duckdbEngine, postgresEngine, type TestEngine } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

const engines = [...ENGINES, bigqueryEngine];

/**
 * A world of one sync on a fresh warehouse of `engine`, whose state schema nothing has touched yet; the
 * state tables the test leaves are dropped when it ends.
 */
async function freshWorld(engine: TestEngine, braze: RunningEmulator): Promise<World> {
  const dir = await tempDir();
  const world = new World(dir, engine.isolate(dir), braze, [
    { name: 'vip', query: "SELECT 'u1' AS external_id" },
  ]);
  onTestFinished(() => clearStateTables(world));
  return world;
}

/**
 * Drops whatever state tables the test left, so that the world's own end-of-file read of the audit
 * tables (for the secret scan) finds a schema cohort-sync can migrate afresh.
 */
async function clearStateTables(world: World): Promise<void> {
  const schema = world.warehouse.stateSchema;
  const tables = ['schema_version', 'cohort_snapshot', 'sync_runs', 'sync_changes', 'sync_locks'];
  await world.warehouse.exec(...tables.map((table) => `DROP TABLE IF EXISTS ${schema}.${table}`));
}

/** Migrates the world's state schema, as any command does first. */
async function migrate(world: World): Promise<void> {
  const source = await createSource(world.warehouse.config);
  try {
    await migrateState(source, world.warehouse.stateSchema);
  } finally {
    await source.close();
  }
}

describe.each(engines)('the state schema on $name holds only tables cohort-sync created', (engine) => {
  let braze: RunningEmulator;

  beforeAll(async () => {
    if (!(await engine.available())) throw new Error(`${engine.name} is not reachable`);
    braze = await emulator({ allUsersExist: true });
  });

  it('a sync_runs table of the user is refused by name, before anything is sent or altered', async () => {
    const world = await freshWorld(engine, braze);
    const schema = world.warehouse.stateSchema;
    await world.warehouse.exec(
      `CREATE SCHEMA IF NOT EXISTS ${schema}`,
      `CREATE TABLE ${schema}.sync_runs (run_id VARCHAR, note VARCHAR)`,
      `INSERT INTO ${schema}.sync_runs (run_id, note) VALUES ('mine', 'keep me')`,
    );
    await expect(world.run()).rejects.toThrow(
      new RegExp(
        `^state schema "${schema}" \\(state\\.schema\\): already has a table sync_runs that cohort-sync did not create ` +
          `\\(there is no schema_version table recording cohort-sync's migrations\\); choose another state\\.schema, or drop or rename sync_runs$`,
        'i',
      ),
    );
    expect(braze.state.history).toEqual([]);
    // Not a column added: the user's table is exactly as it was.
    expect(await world.warehouse.exec(`SELECT * FROM ${schema}.sync_runs`)).toEqual([
      { run_id: 'mine', note: 'keep me' },
    ]);
  });

  it("cohort-sync's tables without their schema_version are refused instead of failing on 'column already exists'", async () => {
    const world = await freshWorld(engine, braze);
    await migrate(world);
    await world.warehouse.exec(`DROP TABLE ${world.warehouse.stateSchema}.schema_version`);
    await expect(world.run()).rejects.toThrow(
      /already has a table (cohort_snapshot|sync_runs|sync_changes|sync_locks) that cohort-sync did not create \(there is no schema_version table/i,
    );
    expect(braze.state.history).toEqual([]);
  });

  it('a schema_version table of another tool is refused, naming it, and left as it was', async () => {
    const world = await freshWorld(engine, braze);
    const schema = world.warehouse.stateSchema;
    await world.warehouse.exec(
      `CREATE SCHEMA IF NOT EXISTS ${schema}`,
      `CREATE TABLE ${schema}.schema_version (version INTEGER, description VARCHAR, installed_by VARCHAR)`,
      `INSERT INTO ${schema}.schema_version (version, description, installed_by) VALUES (1, 'Create orders', 'flyway')`,
    );
    await expect(world.run()).rejects.toThrow(
      `state schema "${schema}" (state.schema): it has a table schema_version that cohort-sync did not create ` +
        '(version 1 is recorded as "Create orders", not a cohort-sync migration); choose another state.schema, ' +
        'or drop or rename that table',
    );
    expect(await world.warehouse.exec(`SELECT * FROM ${schema}.schema_version`)).toEqual([
      { version: 1, description: 'Create orders', installed_by: 'flyway' },
    ]);
    expect(braze.state.history).toEqual([]);
  });

  it('a state table gone after migrating is named, instead of failing later in a run', async () => {
    const world = await freshWorld(engine, braze);
    await migrate(world);
    await world.warehouse.exec(`DROP TABLE ${world.warehouse.stateSchema}.sync_locks`);
    await expect(world.run()).rejects.toThrow(
      `state schema "${world.warehouse.stateSchema}" (state.schema): after migrating, the catalog lists no permanent ` +
        'table sync_locks in it (dropped, or a temporary or system schema, which cannot hold the state); restore ' +
        "it, or set state.schema to a schema of cohort-sync's own (default cohort_sync)",
    );
    expect(braze.state.history).toEqual([]);
  });
});

describe('the CLI reports a state schema it cannot use in one line', () => {
  it('exit 1, naming the table and the fix, no stack trace', async () => {
    const braze = await emulator({ allUsersExist: true });
    const world = await freshWorld(duckdbEngine, braze);
    await world.warehouse.exec(
      'CREATE SCHEMA cohort_sync',
      'CREATE TABLE cohort_sync.sync_locks (owner VARCHAR)',
    );
    await world.config();
    const result = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: state schema "cohort_sync" (state.schema): already has a table sync_locks that cohort-sync did not ' +
        "create (there is no schema_version table recording cohort-sync's migrations); choose another " +
        'state.schema, or drop or rename sync_locks\n',
    );
    expect(braze.state.history).toEqual([]);
  });
});

describe.skipIf(!inject('postgresAvailable'))('a temporary state schema on PostgreSQL', () => {
  it('state.schema pg_temp fails before any state is written, even when validation is bypassed', async () => {
    const braze = await emulator({ allUsersExist: true });
    const world = await freshWorld(postgresEngine, braze);
    const config: Config = await world.config();
    // As if validation had let it through: the run itself must refuse a session-temporary state.
    const temporary = { ...config, state: { ...config.state, schema: 'pg_temp' } } as Config;
    await expect(runSyncs(temporary, { logger: silentLogger })).rejects.toThrow(
      /^cannot create the state schema "pg_temp": unacceptable schema name "pg_temp" \(SQLSTATE 42939\)\. .*or set state\.schema to another schema$/,
    );
    // Before, the run reported success with its snapshot in session-temporary tables.
    expect(braze.state.history).toEqual([]);
  });
});
