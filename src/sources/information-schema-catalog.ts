import { sql } from 'kysely';
import type { CatalogSql } from './source.js';

/**
 * {@link CatalogSql} through the standard `information_schema` views of the current database (DuckDB,
 * Snowflake). Names are compared without case: Snowflake stores cohort-sync's quoted upper-case names,
 * DuckDB matches names regardless of case.
 */
export const INFORMATION_SCHEMA_CATALOG: CatalogSql = {
  schema: (schema) =>
    sql`SELECT schema_name FROM ${sql.table('information_schema.schemata')}
WHERE LOWER(schema_name) = ${schema.toLowerCase()} AND catalog_name = current_database()`,
  tables: (schema) =>
    sql<{
      table_name: string;
      table_type: string;
    }>`SELECT table_name, table_type FROM ${sql.table('information_schema.tables')}
WHERE LOWER(table_schema) = ${schema.toLowerCase()} AND table_catalog = current_database()`,
};
