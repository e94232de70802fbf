import { sql } from 'kysely';
import type { SqlCapabilities } from '../source.js';

/**
 * What BigQuery's SQL can do, for the builders in src/diff and src/state. Stage tables carry an expiration
 * so that a run that dies leaves nothing behind for long; BigQuery deletes them itself.
 */
export function bigqueryCapabilities(options: { stageExpirationHours: number }): SqlCapabilities {
  const hours = sql.lit(Math.ceil(options.stageExpirationHours));
  return {
    textType: 'STRING',
    integerType: 'INT64',
    timestampType: 'TIMESTAMP',
    exceptKeyword: 'EXCEPT DISTINCT',
    // Multi-statement transactions may not create or drop permanent tables.
    transactionalDdl: false,
    // Sent as one script (or run in a session when they read), and retried on a concurrent update.
    deferredTransactions: true,
    locking: 'lease',
    indexes: false,
    // The dataset-qualified view, which needs no region; it fails with "Not found" for a missing dataset.
    catalog: {
      schema: (dataset) => sql`SELECT COUNT(*) AS found FROM ${sql.id(dataset)}.INFORMATION_SCHEMA.TABLES`,
      tables: (dataset) =>
        sql<{
          table_name: string;
          table_type: string;
        }>`SELECT table_name, table_type FROM ${sql.id(dataset)}.INFORMATION_SCHEMA.TABLES`,
    },
    createStageTable: (table, select) =>
      sql`CREATE TABLE ${table}\nOPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL ${hours} HOUR)) AS\n${select}`,
  };
}
