import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';

/**
 * Where the bench's audience lives: a fresh DuckDB file or a fresh PostgreSQL
 * schema per size. The audience is `size` members with 32-character hex
 * external ids (like hashed or UUID-style ids).
 */
export interface BenchWarehouse {
  name: 'duckdb' | 'postgres';
  /** The `warehouse:` mapping of the CLI's config, as YAML flow text. */
  yaml: string;
  /** The state schema cohort-sync writes to. */
  stateSchema: string;
  /** The sync's query. */
  audienceQuery: string;
  /** Arguments telling the floor program where to read. */
  floorArgs: string[];
  create(size: number): Promise<void>;
  /** `percent` of the members leave and as many join (their rows get new ids): 2 × percent % changes. */
  churn(percent: number, round: number): Promise<void>;
  drop(): Promise<void>;
}

const churnWhere = (percent: number, round: number) => {
  const every = Math.round(100 / percent);
  return `n % ${every} = ${round % every}`;
};

export function duckdbWarehouse(file: string, memoryLimit: string | undefined): BenchWarehouse {
  const run = async (statements: string[]) => {
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    try {
      for (const statement of statements) await connection.run(statement);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  };
  return {
    name: 'duckdb',
    yaml: `{ type: duckdb, path: ${file}${memoryLimit ? `, memory_limit: ${memoryLimit}` : ''} }`,
    stateSchema: 'cohort_sync',
    audienceQuery: 'SELECT external_id FROM audience',
    floorArgs: ['--duckdb', file],
    create: (size) =>
      run([
        `CREATE TABLE audience AS SELECT i AS n, md5(CAST(i AS VARCHAR)) AS external_id FROM range(${size}) AS t(i)`,
        'CHECKPOINT',
      ]),
    churn: (percent, round) =>
      run([
        `UPDATE audience SET external_id = md5(external_id || '-churn${round}') WHERE ${churnWhere(percent, round)}`,
        'CHECKPOINT',
      ]),
    drop: () => Promise.resolve(),
  };
}

export function postgresWarehouse(url: string, suffix: string): BenchWarehouse {
  const data = `bench_data_${suffix}`;
  const state = `bench_state_${suffix}`;
  const run = async (statements: string[]) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres',
    yaml: `{ type: postgres, url: "${url}" }`,
    stateSchema: state,
    audienceQuery: `SELECT external_id FROM ${data}.audience`,
    floorArgs: ['--postgres', url],
    create: (size) =>
      run([
        `CREATE SCHEMA ${data}`,
        `CREATE TABLE ${data}.audience AS SELECT i AS n, md5(i::text) AS external_id FROM generate_series(0, ${size - 1}) AS i`,
        `ANALYZE ${data}.audience`,
      ]),
    churn: (percent, round) =>
      run([
        `UPDATE ${data}.audience SET external_id = md5(external_id || '-churn${round}') WHERE ${churnWhere(percent, round)}`,
        `VACUUM ANALYZE ${data}.audience`,
      ]),
    drop: () => run([`DROP SCHEMA IF EXISTS ${data} CASCADE`, `DROP SCHEMA IF EXISTS ${state} CASCADE`]),
  };
}

/** Whether a PostgreSQL server answers at `url`. */
export async function postgresReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The floor's version of the sync's query result, in the (op, id) shape the floor program reads. */
export function floorInitialQuery(w: BenchWarehouse): string {
  return `SELECT 'add' AS op, external_id AS id FROM (${w.audienceQuery}) AS q`;
}

/** The warehouse's own diff of the audience against the snapshot cohort-sync keeps for `sync`. */
export function exceptQuery(w: BenchWarehouse, sync: string): string {
  const snapshot = `SELECT id FROM ${w.stateSchema}.cohort_snapshot WHERE sync_name = '${sync}'`;
  return `SELECT 'add' AS op, id FROM (SELECT external_id AS id FROM (${w.audienceQuery}) AS q EXCEPT ${snapshot}) AS a
UNION ALL
SELECT 'remove' AS op, id FROM (${snapshot} EXCEPT SELECT external_id FROM (${w.audienceQuery}) AS q) AS r`;
}
