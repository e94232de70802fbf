import { sql } from 'kysely';
import type { SqlCapabilities } from '../source.js';

/** How the error of a staged value with a fraction starts; what follows is the column's name. */
export const FRACTION_MARK = 'cohort-sync: a value with a fraction in column ';

/** What PostgreSQL's SQL can do, for the builders in src/diff and src/state. */
export const POSTGRES_CAPABILITIES: SqlCapabilities = {
  textType: 'TEXT',
  integerType: 'INTEGER',
  timestampType: 'TIMESTAMPTZ',
  exceptKeyword: 'EXCEPT',
  transactionalDdl: true,
  locking: 'advisory',
  indexes: true,
  // Request bodies built by the server: one text per batch instead of four per change through the client.
  // All batches in one ordered query, streamed through the cursor: the stage table has no index on
  // `batch`, so a query per window of batches would scan the whole table each time.
  jsonBatches: {
    quote: (text) => sql`CAST(to_json(${text}) AS TEXT)`,
    join: (text) => sql`string_agg(${text}, ',')`,
    batchesPerQuery: Number.POSITIVE_INFINITY,
  },
  // PostgreSQL has no function that raises an error, so a fraction is made one: the cast of a text that
  // is no integer. It depends on the row, so the planner cannot fold it (and fail) in advance; the text
  // names the column, never a value (see describePgError).
  wholeNumberText: (value, column) =>
    sql`CAST(CASE WHEN ${value} = TRUNC(${value}) THEN TRUNC(${value}) ELSE CAST(CASE WHEN ${value} <> TRUNC(${value}) THEN ${sql.lit(`${FRACTION_MARK}${column}`)} END AS INTEGER) END AS TEXT)`,
  // pg_catalog, not information_schema: it lists tables the role has no privilege on, and says whether a
  // table is temporary (relpersistence 't': `state.schema: pg_temp` would put the state in the session).
  catalog: {
    schema: (schema) => sql`SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ${schema}`,
    tables: (schema) => sql<{ table_name: string; table_type: string }>`SELECT c.relname AS table_name,
  CASE WHEN c.relkind IN ('r', 'p') AND c.relpersistence = 'p' THEN 'BASE TABLE' ELSE 'relkind ' || CAST(c.relkind AS TEXT) END AS table_type
FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
  },
  advisoryLock: {
    tryLock: (key) => sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(CAST(${key} AS BIGINT)) AS locked`,
    unlock: (key) => sql`SELECT pg_advisory_unlock(CAST(${key} AS BIGINT)) AS unlocked`,
    transactionLock: (key) => sql`SELECT pg_advisory_xact_lock(CAST(${key} AS BIGINT))`,
  },
};
