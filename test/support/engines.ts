import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { inject } from 'vitest';
import type { WarehouseConfig } from '../../src/config/types.js';
import { createSource } from '../../src/sources/create-source.js';
import type { Row } from '../../src/sources/source.js';
import { atEnd } from './cleanup.js';
import { FAKE_SNOWFLAKE_PASSWORD, FAKE_SNOWFLAKE_USER } from './fake-snowflake/fake-login.js';
import { TEST_POSTGRES_URL, dropTestSchemas } from './postgres-server.js';

/** One isolated warehouse for one test: its config, and a way to run setup SQL in it. */
export interface TestWarehouse {
  /** The `warehouse:` mapping of a config file, as YAML flow text. */
  yaml: string;
  config: WarehouseConfig;
  /** Schema for the state tables, unique to this test. */
  stateSchema: string;
  /** Runs statements (DDL/DML) and returns the last one's rows. */
  exec(...statements: string[]): Promise<Row[]>;
}

/** A warehouse engine the integration suite runs against, unchanged, as kysely's tests loop over dialects. */
export interface TestEngine {
  name: string;
  /** Whether the engine can be reached here; a skipped engine is announced, never silently passed. */
  available(): Promise<boolean>;
  isolate(dir: string): TestWarehouse;
  /**
   * Wraps a SELECT so that it returns the same rows but only after a long time (far more than a test
   * waits), so a crash test can kill a run while the warehouse is still staging the query result.
   */
  slowSelect(select: string): string;
  /** A SELECT of one column, external_id, with the values `user-<from>` … `user-<to>`. */
  userIds(from: number, to: number): string;
  /**
   * Whether a client killed inside a transaction leaves no lock behind, so that the next run proceeds at
   * once. Snowflake keeps a vanished client's transaction (and its table locks) until the session expires.
   */
  releasesLocksOfKilledClients: boolean;
}

export async function execWith(config: WarehouseConfig, statements: string[]): Promise<Row[]> {
  const source = await createSource(config);
  try {
    let rows: Row[] = [];
    for (const statement of statements) rows = await source.execute(sql.raw(statement).compile(source.db));
    return rows;
  } finally {
    await source.close();
  }
}

export const duckdbEngine: TestEngine = {
  name: 'duckdb',
  available: () => Promise.resolve(true),
  releasesLocksOfKilledClients: true,
  isolate(dir) {
    const config: WarehouseConfig = {
      type: 'duckdb',
      path: path.join(dir, `warehouse-${randomUUID().slice(0, 8)}.duckdb`),
    };
    return {
      yaml: `{ type: duckdb, path: ${config.path} }`,
      config,
      stateSchema: 'cohort_sync',
      exec: (...statements) => execWith(config, statements),
    };
  },
  // A trillion-row cross join behind an opaque filter: DuckDB cannot prune it, and it never finishes.
  userIds: (from, to) =>
    `SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM range(${from}, ${to + 1}) AS r(i)`,
  slowSelect: (select) =>
    `SELECT * FROM (${select}) AS q WHERE (SELECT COUNT(*) FROM range(1000000) AS r, range(1000000) AS s WHERE hash(r.range * s.range) = 0) >= 0`,
};

/**
 * The real PostgreSQL server (see postgres-server.ts). Each test gets fresh random schemas, `<state>` and
 * `<state>_data`, dropped when its file ends (and, as a backstop, when the run ends: global-setup.ts). Its
 * connections carry the state schema as application_name, so a test can find exactly its own sessions.
 */
export const postgresEngine: TestEngine = {
  name: 'postgres',
  available: () => Promise.resolve(inject('postgresAvailable')),
  releasesLocksOfKilledClients: true,
  isolate() {
    const stateSchema = `${inject('postgresSchemaPrefix')}${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const config: WarehouseConfig = {
      type: 'postgres',
      url: TEST_POSTGRES_URL,
      connect_timeout_seconds: 10,
      application_name: stateSchema,
    };
    atEnd(() => dropTestSchemas(stateSchema));
    return {
      yaml: `{ type: postgres, url: "${TEST_POSTGRES_URL}", application_name: ${stateSchema}, connect_timeout_seconds: 10 }`,
      config,
      stateSchema,
      exec: (...statements) => execWith(config, statements),
    };
  },
  userIds: (from, to) =>
    `SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM generate_series(${from}, ${to}) AS r(i)`,
  // The sleep runs once, as an InitPlan, before the first row. A killed client does not stop it (PostgreSQL
  // notices a vanished client only when it answers), so dropTestSchemas terminates such sessions.
  slowSelect: (select) => `SELECT * FROM (${select}) AS q WHERE (SELECT COUNT(*) FROM pg_sleep(600)) >= 0`,
};

/** A warehouse with schemas of its own on the (fake) Snowflake at `accessUrl`, logged in as the fake's user. */
export function snowflakeWarehouse(accessUrl: string, extra: Partial<WarehouseConfig> = {}): TestWarehouse {
  const stateSchema = `sf_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const config = {
    type: 'snowflake',
    account: 'testaccount',
    username: FAKE_SNOWFLAKE_USER,
    password: FAKE_SNOWFLAKE_PASSWORD,
    warehouse: 'COHORT_SYNC_WH',
    database: 'COHORT_SYNC_TEST',
    access_url: accessUrl,
    connect_timeout_seconds: 30,
    ...extra,
  } as WarehouseConfig;
  const { password: _password, type: _type, ...rest } = config as Record<string, unknown>;
  const keys = Object.entries(rest).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return {
    yaml: `{ type: snowflake, password: "\${SNOWFLAKE_PASSWORD}", ${keys.join(', ')} }`,
    config,
    stateSchema,
    exec: (...statements) => execWith(config, statements),
  };
}

/**
 * Snowflake through the real snowflake-sdk, against the run's fake Snowflake (global-setup.ts), which runs
 * the SQL on DuckDB after the rewrites in fake-snowflake/rewrite-sql.ts. Each test gets its own schemas.
 */
export const snowflakeEngine: TestEngine = {
  name: 'snowflake',
  available: () => Promise.resolve(true),
  releasesLocksOfKilledClients: false,
  isolate: () => snowflakeWarehouse(inject('fakeSnowflakeUrl')),
  userIds: (from, to) =>
    `SELECT 'user-' || CAST(SEQ4() + ${from} AS VARCHAR) AS external_id FROM TABLE(GENERATOR(ROWCOUNT => ${to - from + 1}))`,
  // The fake answers a statement calling SYSTEM$WAIT(n) n seconds late, through Snowflake's async results.
  slowSelect: (select) => `SELECT * FROM (${select}) AS q WHERE (SELECT SYSTEM$WAIT(600)) IS NOT NULL`,
};

/**
 * Engines of the shared integration suite: PostgreSQL when the server answered the probe in
 * global-setup.ts (which fails the run in CI when it did not, and announces the skip elsewhere).
 */
export const ENGINES: TestEngine[] = [
  duckdbEngine,
  snowflakeEngine,
  ...(inject('postgresAvailable') ? [postgresEngine] : []),
];
