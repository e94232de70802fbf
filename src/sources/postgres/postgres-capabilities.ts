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
  advisoryLock: {
    tryLock: (key) => sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(CAST(${key} AS BIGINT)) AS locked`,
    unlock: (key) => sql`SELECT pg_advisory_unlock(CAST(${key} AS BIGINT)) AS unlocked`,
    transactionLock: (key) => sql`SELECT pg_advisory_xact_lock(CAST(${key} AS BIGINT))`,
  },
};
