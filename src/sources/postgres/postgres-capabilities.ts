import { sql } from 'kysely';
import type { SqlCapabilities } from '../source.js';

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
  advisoryLock: {
    tryLock: (key) => sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(CAST(${key} AS BIGINT)) AS locked`,
    unlock: (key) => sql`SELECT pg_advisory_unlock(CAST(${key} AS BIGINT)) AS unlocked`,
    transactionLock: (key) => sql`SELECT pg_advisory_xact_lock(CAST(${key} AS BIGINT))`,
  },
};
