import { sql } from 'kysely';
import type { SqlCapabilities } from '../source.js';

/** What Snowflake's SQL can do, for the builders in src/diff and src/state. */
export const SNOWFLAKE_CAPABILITIES: SqlCapabilities = {
  textType: 'VARCHAR',
  // NUMBER(38,0): Snowflake's INTEGER and BIGINT are both synonyms of it.
  integerType: 'INTEGER',
  timestampType: 'TIMESTAMP_TZ',
  exceptKeyword: 'MINUS',
  // Every DDL statement commits the open transaction and runs as a transaction of its own.
  transactionalDdl: false,
  locking: 'lease',
  // Any order would do, but Snowflake requires one for ROW_NUMBER.
  changeNumberWindow: '(ORDER BY op, id_type, id, alias_label)',
  // TRANSIENT: no Fail-safe period (7 days of storage for a permanent table), and at most one day of
  // Time Travel, so a dropped stage table stops costing storage within a day.
  createStageTable: (table, select) => sql`CREATE TRANSIENT TABLE ${table} AS\n${select}`,
};
