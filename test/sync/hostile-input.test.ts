import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { runCli } from '../support/cli.js';
import { TEST_ENV, cohortMembers, emulator } from '../support/emulator.js';
import { sql } from 'kysely';
import { createSource } from '../../src/sources/create-source.js';
import { audienceWarehouse } from '../support/audience.js';
import { atEnd } from '../support/cleanup.js';
import { ENGINES, postgresEngine, snowflakeWarehouse, type TestWarehouse } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { FakeSnowflake } from '../support/fake-snowflake/fake-snowflake.js';
import { FAKE_SNOWFLAKE_PASSWORD, FAKE_SNOWFLAKE_USER } from '../support/fake-snowflake/fake-login.js';
import type { FakeBigQuery } from '../support/fake-bigquery/fake-bigquery.js';
import { fakeBigQueryWarehouse } from '../support/fake-bigquery/fake-bigquery-warehouse.js';
import { snapshotMembers } from '../support/invariants.js';
import { TEST_POSTGRES_URL, adminQuery } from '../support/postgres-server.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/**
 * An audience query that closes the parenthesis cohort-sync wraps it in and appends statements of its own:
 * on the simple query protocol PostgreSQL runs all three, and the DELETE commits.
 */
const smuggling = (data: string) =>
  `SELECT external_id FROM ${data}.people) AS x; DELETE FROM ${data}.victim; SELECT * FROM (SELECT 'u1' AS external_id`;

/**
 * A constant alias label that, pasted into a literal, ends it early when the session reads backslashes as
 * escapes (standard_conforming_strings = off) and reads another table into every member's label.
 */
const BREAKOUT_LABEL = (data: string) => `\\' || (SELECT MAX(secret) FROM ${data}.victim) AS TEXT) AS al --`;

/** The test server's URL for sessions that read backslashes in string literals as escapes. */
const NON_STANDARD_STRINGS_URL = `${TEST_POSTGRES_URL}?options=${encodeURIComponent('-c standard_conforming_strings=off')}`;

describe.skipIf(!inject('postgresAvailable'))('a hostile audience query on PostgreSQL', () => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;

  const victimRows = async () =>
    (await adminQuery<{ secret: string }>(`SELECT secret FROM ${data}.victim ORDER BY secret`)).map(
      (row) => row.secret,
    );

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const base = postgresEngine.isolate(dir);
    // Every session of this world reads '\'' as an escaped quote, as on a server configured the old way.
    const warehouse: TestWarehouse = {
      ...base,
      yaml: base.yaml.replace(`"${TEST_POSTGRES_URL}"`, `"${NON_STANDARD_STRINGS_URL}"`),
    };
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(
      `CREATE SCHEMA ${data}`,
      `CREATE TABLE ${data}.people AS SELECT 'p' || i AS external_id, 'a' || i || '@x.com' AS email FROM generate_series(1, 3) AS g(i)`,
      `CREATE TABLE ${data}.victim AS SELECT 'top-secret-' || i AS secret FROM generate_series(1, 3) AS g(i)`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'smuggled', query: smuggling(data) },
      {
        name: 'labelled',
        query: `SELECT email AS alias_name FROM ${data}.people`,
        extra: `identifiers: { alias_label: ${JSON.stringify(BREAKOUT_LABEL(data))} }`,
      },
    ]);
  });

  it('plan refuses a query of several statements, exit 1, and the smuggled DELETE never runs', async () => {
    await world.config();
    const result = await runCli(['plan', '--config', world.configFile, '--sync', 'smuggled'], {
      env: TEST_ENV,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /ERROR +sync "smuggled": reading the query columns failed: the audience query must be one SELECT statement; PostgreSQL found several \(a ";" ends a statement\)/,
    );
    expect(result.stdout + result.stderr).not.toMatch(/TypeError|unexpected error|\n\s+at /);
    expect(await victimRows()).toEqual(['top-secret-1', 'top-secret-2', 'top-secret-3']);
    expect(braze.state.history).toEqual([]);
  });

  it('run refuses it too: the sync fails, nothing is sent, the snapshot and the other table are untouched', async () => {
    const [report] = await world.run({ syncs: ['smuggled'] });
    expect(report).toMatchObject({ status: 'failed', requests: 0, added: 0 });
    expect(report!.error).toMatch(
      /^sync "smuggled": reading the query columns failed: .*one SELECT statement/,
    );
    expect(await victimRows()).toEqual(['top-secret-1', 'top-secret-2', 'top-secret-3']);
    expect(await snapshotMembers(world, 'smuggled')).toEqual([]);
    expect(braze.state.history).toEqual([]);
  });

  it('a constant alias label stays one literal when the session reads backslashes as escapes', async () => {
    const [setting] = await world.query<{ standard_conforming_strings: string }>(
      'SHOW standard_conforming_strings',
    );
    expect(setting).toEqual({ standard_conforming_strings: 'off' });
    const [report] = await world.run({ syncs: ['labelled'] });
    expect(report).toMatchObject({ status: 'succeeded', added: 3 });
    const label = BREAKOUT_LABEL(data);
    expect(cohortMembers(braze, 'cohort-sync-labelled')).toEqual(
      [1, 2, 3].map((i) => `alias:${label}:a${i}@x.com`),
    );
    expect(JSON.stringify(braze.state.history)).not.toMatch(/top-secret/);
    expect(await snapshotMembers(world, 'labelled')).toEqual(cohortMembers(braze, 'cohort-sync-labelled'));
  });
});

describe('a hostile audience query on BigQuery (through the real SDK against the fake)', () => {
  let world: World;
  let braze: RunningEmulator;
  let fake: FakeBigQuery;
  let data: string;

  /** Queries that are not one SELECT, with the statement type BigQuery's dry run reports for them. */
  const NOT_SELECT: [name: string, query: () => string, statementType: RegExp][] = [
    ['a DML statement', () => `DELETE FROM \`${data}.victim\` WHERE TRUE`, /reads it as DELETE$/],
    [
      'a script of several statements',
      () => `DELETE FROM \`${data}.victim\` WHERE TRUE; SELECT 'u1' AS external_id`,
      /reads it as SCRIPT \(several statements: a ";" ends a statement\)$/,
    ],
  ];

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const made = await fakeBigQueryWarehouse(dir);
    fake = made.fake;
    data = `${made.warehouse.stateSchema}_data`;
    await made.warehouse.exec(
      `CREATE SCHEMA \`${data}\``,
      `CREATE TABLE \`${data}.victim\` AS SELECT 'top-secret' AS secret`,
    );
    world = new World(
      dir,
      made.warehouse,
      braze,
      NOT_SELECT.map(([, query], index) => ({ name: `not_select_${index}`, query: query() })),
    );
  });

  it.each(NOT_SELECT.map(([name, , type], index) => [name, index, type] as const))(
    'plan and run refuse %s, read from the dry run, before any job runs it',
    async (_name, index, statementType) => {
      const sync = `not_select_${index}`;
      for (const dryRun of [true, false]) {
        const since = fake.jobs.length;
        const [report] = await world.run({ syncs: [sync], dryRun });
        expect(report).toMatchObject({ status: 'failed', requests: 0 });
        expect(report!.error).toMatch(
          new RegExp(
            `^sync "${sync}": reading the query columns failed: the audience query must be one SELECT statement; `,
          ),
        );
        expect(report!.error).toMatch(statementType);
        expect(fake.jobs.slice(since).filter((job) => job.sql.includes('victim'))).toEqual([]);
      }
      expect(await world.query(`SELECT secret FROM \`${data}.victim\``)).toEqual([{ secret: 'top-secret' }]);
      expect(braze.state.history).toEqual([]);
    },
  );
});

describe('a hostile audience query on Snowflake, whose account allows several statements per request', () => {
  let fake: FakeSnowflake;
  let world: World;
  let braze: RunningEmulator;
  let data: string;

  beforeAll(async () => {
    // MULTI_STATEMENT_COUNT = 0 at the account: a request may hold any number of statements unless the
    // statement itself says otherwise.
    fake = await FakeSnowflake.start({
      users: { [FAKE_SNOWFLAKE_USER]: { password: FAKE_SNOWFLAKE_PASSWORD } },
      multiStatementCount: 0,
    });
    atEnd(() => fake.close());
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = snowflakeWarehouse(fake.url);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(
      `CREATE SCHEMA ${data}`,
      `CREATE TABLE ${data}.victim AS SELECT 'top-secret' AS secret`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'smuggled', query: `SELECT 'u1' AS external_id; DELETE FROM ${data}.victim` },
    ]);
  });

  it('every statement cohort-sync sends, in plan and run, carries MULTI_STATEMENT_COUNT = 1', async () => {
    const since = fake.statements.length;
    for (const dryRun of [true, false]) {
      const [report] = await world.run({ syncs: ['smuggled'], dryRun });
      expect(report).toMatchObject({ status: 'failed', requests: 0 });
      expect(report!.error).toMatch(
        /^sync "smuggled": reading the query columns failed: the audience query must be one SELECT statement; Snowflake found several .*Actual statement count 2 did not match the desired statement count 1/,
      );
    }
    const sent = fake.statements.slice(since);
    expect(sent.length).toBeGreaterThan(5);
    expect(sent.filter((statement) => statement.parameters.MULTI_STATEMENT_COUNT !== 1)).toEqual([]);
    expect(await world.query(`SELECT secret FROM ${data}.victim`)).toEqual([{ secret: 'top-secret' }]);
    expect(braze.state.history).toEqual([]);
  });

  it('so a text of two statements is refused by Snowflake instead of running both', async () => {
    const source = await createSource(world.warehouse.config);
    try {
      await expect(
        source.execute(sql.raw(`SELECT 1 AS one; DELETE FROM ${data}.victim`).compile(source.db)),
      ).rejects.toThrow(/Actual statement count 2 did not match the desired statement count 1/);
    } finally {
      await source.close();
    }
    expect(await world.query(`SELECT secret FROM ${data}.victim`)).toEqual([{ secret: 'top-secret' }]);
  });
});

describe.each([...ENGINES, bigqueryEngine])('ids with a fraction on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;

  beforeAll(async () => {
    const setup = await audienceWarehouse(engine);
    const { dir, warehouse, data } = setup;
    braze = setup.braze;
    await warehouse.exec(
      `CREATE TABLE ${data}.nums (id INTEGER)`,
      `INSERT INTO ${data}.nums (id) VALUES (1), (2), (3)`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'halves', query: `SELECT id / 2.0 AS external_id FROM ${data}.nums` },
    ]);
  });

  it('fail the run, naming the sync and the column, and send nothing (plan and run)', async () => {
    for (const dryRun of [true, false]) {
      const [report] = await world.run({ syncs: ['halves'], dryRun });
      expect(report).toMatchObject({ status: 'failed', requests: 0, added: 0 });
      // Typed decimals and floats are refused by their type; PostgreSQL's numeric of no fixed scale by value.
      expect(report!.error).toMatch(
        /^sync "halves": (staging the query result failed: )?identifier column external_id (is of type|has a value with a fraction).*CAST\(external_id AS/i,
      );
      expect(report!.error).not.toMatch(/0\.5|1\.5/);
    }
    expect(braze.state.history).toEqual([]);
    expect(await snapshotMembers(world, 'halves')).toEqual([]);
  });
});

describe.skipIf(!inject('postgresAvailable'))("PostgreSQL's numeric of no fixed scale", () => {
  let world: World;
  let braze: RunningEmulator;

  beforeAll(async () => {
    const setup = await audienceWarehouse(postgresEngine);
    const { dir, warehouse, data } = setup;
    braze = setup.braze;
    await warehouse.exec(
      `CREATE TABLE ${data}.nums AS SELECT CAST(i AS NUMERIC) AS id FROM generate_series(1, 3) AS g(i)`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'scaled', query: `SELECT id * 1.0 AS external_id FROM ${data}.nums` },
      { name: 'halves', query: `SELECT id / 2.0 AS external_id FROM ${data}.nums` },
    ]);
  });

  it('whole values are sent as their digits: id * 1.0 is 1, not "1.0"', async () => {
    const [report] = await world.run({ syncs: ['scaled'] });
    expect(report).toMatchObject({ status: 'succeeded', added: 3 });
    expect(cohortMembers(braze, 'cohort-sync-scaled')).toEqual([
      'external_id:1',
      'external_id:2',
      'external_id:3',
    ]);
  });

  it('plan reports a value with a fraction in one line, exit 1, without the value', async () => {
    await world.config();
    const result = await runCli(['plan', '--config', world.configFile, '--sync', 'halves'], {
      env: TEST_ENV,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'ERROR             sync "halves": staging the query result failed: identifier column external_id has a ' +
        'value with a fraction (its type, numeric, fixes no scale); identifiers must be text, whole numbers or ' +
        'UUIDs: cast it in the query, CAST(external_id AS BIGINT) AS external_id (which rounds), or if its text ' +
        'form really is the id, CAST(external_id AS TEXT) AS external_id',
    );
    expect(result.stdout + result.stderr).not.toMatch(/0\.5|SQLSTATE|\n\s+at /);
    expect(cohortMembers(braze, 'cohort-sync-halves')).toEqual([]);
  });
});

describe.each([...ENGINES, bigqueryEngine])('a query that smuggles in a DELETE, on $name', (engine) => {
  it('fails in plan and in run, and the DELETE never runs', async () => {
    const { dir, warehouse, braze, data } = await audienceWarehouse(engine);
    await warehouse.exec(
      `INSERT INTO ${data}.audience (external_id) VALUES ('p1')`,
      `CREATE TABLE ${data}.victim (secret VARCHAR)`,
      `INSERT INTO ${data}.victim (secret) VALUES ('top-secret')`,
    );
    const smuggled = `SELECT external_id FROM ${data}.audience) AS x; DELETE FROM ${data}.victim WHERE TRUE; SELECT * FROM (SELECT 'u1' AS external_id`;
    const world = new World(dir, warehouse, braze, [{ name: 'smuggled', query: smuggled }]);
    for (const dryRun of [true, false]) {
      const [report] = await world.run({ dryRun });
      expect(report).toMatchObject({ status: 'failed', requests: 0 });
      expect(report!.error).toMatch(/^sync "smuggled": reading the query columns failed: /);
      expect(report!.error).not.toMatch(/TypeError|Cannot read properties/);
    }
    expect(await warehouse.exec(`SELECT secret FROM ${data}.victim`)).toEqual([{ secret: 'top-secret' }]);
    expect(braze.state.history).toEqual([]);
  });
});
