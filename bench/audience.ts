import { DuckDBInstance } from '@duckdb/node-api';

/** The sync's query: one row per member, identified by external id. */
export const AUDIENCE_QUERY = 'SELECT external_id FROM audience';

/** The floor's version of the same query result, in the (op, id) shape the floor program reads. */
export const FLOOR_INITIAL_QUERY = "SELECT 'add' AS op, external_id AS id FROM audience";

/** The warehouse's own diff of the audience against the snapshot cohort-sync keeps for `sync`. */
export function exceptQuery(schema: string, sync: string): string {
  const snapshot = `SELECT id FROM ${schema}.cohort_snapshot WHERE sync_name = '${sync}'`;
  return `SELECT 'add' AS op, id FROM (SELECT external_id AS id FROM audience EXCEPT ${snapshot})
UNION ALL
SELECT 'remove' AS op, id FROM (${snapshot} EXCEPT SELECT external_id FROM audience)`;
}

async function withDuckDb(file: string, statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A table of `size` members with 32-character hex external ids (like hashed or UUID-style ids). */
export function createAudience(file: string, size: number): Promise<void> {
  return withDuckDb(file, [
    `CREATE TABLE audience AS SELECT i AS n, md5(CAST(i AS VARCHAR)) AS external_id FROM range(${size}) AS t(i)`,
    'CHECKPOINT',
  ]);
}

/**
 * Churn: `percent` of the members leave and as many new ones join (their rows get new ids),
 * so a run after it has 2 × percent % of the audience size as changes.
 */
export function churnAudience(file: string, percent: number, round: number): Promise<void> {
  const every = Math.round(100 / percent);
  return withDuckDb(file, [
    `UPDATE audience SET external_id = md5(external_id || '-churn${round}') WHERE n % ${every} = ${round % every}`,
    'CHECKPOINT',
  ]);
}
