import type { StateDatabase } from './state-database.js';
import { WarehouseError, errorMessage } from '../errors.js';
import { INFORMATION_SCHEMA_CATALOG } from '../sources/information-schema-catalog.js';
import type { Source, StatementRunner } from '../sources/source.js';

/** The tables cohort-sync keeps in the state schema; schema_version is created first and says they are ours. */
export const STATE_TABLES: readonly (keyof StateDatabase)[] = [
  'schema_version',
  'cohort_snapshot',
  'sync_runs',
  'sync_changes',
  'sync_locks',
];

/** A state-schema problem, naming the config key that chose the schema. */
export function stateSchemaError(schema: string, problem: string, cause?: unknown): WarehouseError {
  return new WarehouseError(`state schema "${schema}" (state.schema): ${problem}`, {
    code: 'STATE_SCHEMA',
    cause,
  });
}

/** Whether the catalog lists the schema in the current database; a failing lookup counts as "no". */
async function schemaExists(runner: StatementRunner, source: Source, schema: string): Promise<boolean> {
  const catalog = source.capabilities.catalog ?? INFORMATION_SCHEMA_CATALOG;
  return runner.execute(catalog.schema(schema).compile(source.db)).then(
    (rows) => rows.length > 0,
    () => false,
  );
}

/** The state tables the catalog lists in the schema, by name (lower-cased), with their table type. */
export async function existingStateTables(
  runner: StatementRunner,
  source: Source,
  schema: string,
): Promise<Map<string, string>> {
  const catalog = source.capabilities.catalog ?? INFORMATION_SCHEMA_CATALOG;
  const rows = await runner
    .execute<{ table_name: string; table_type: string }>(catalog.tables(schema).compile(source.db))
    .catch((error: unknown) => {
      throw stateSchemaError(schema, `cannot list its tables: ${errorMessage(error)}`, error);
    });
  const names = new Set<string>(STATE_TABLES);
  return new Map(
    rows
      .map((row) => [String(row.table_name).toLowerCase(), String(row.table_type)] as const)
      .filter(([name]) => names.has(name)),
  );
}

/**
 * Before the first migration: a state table that exists although schema_version does not was not made by
 * cohort-sync (which creates schema_version before anything else). Refused before any DDL, so nothing of
 * the user's is altered.
 */
export function refuseForeignTables(schema: string, existing: ReadonlyMap<string, string>): void {
  if (existing.has('schema_version')) return;
  const [name, type] = [...existing][0] ?? [];
  if (name === undefined) return;
  const kind = type === 'BASE TABLE' ? 'a table' : `an object (${type})`;
  throw stateSchemaError(
    schema,
    `already has ${kind} ${name} that cohort-sync did not create (there is no schema_version table recording ` +
      `cohort-sync's migrations); choose another state.schema, or drop or rename ${name}`,
  );
}

/**
 * After migrating: every state table is a permanent table of the configured schema. A temporary schema
 * (PostgreSQL's pg_temp) takes the tables for one session only: every run would start from an empty
 * snapshot and never send a removal, all while reporting success.
 */
export function verifyStateTables(schema: string, existing: ReadonlyMap<string, string>): void {
  const missing = STATE_TABLES.filter((table) => existing.get(table) !== 'BASE TABLE');
  if (missing.length === 0) return;
  throw stateSchemaError(
    schema,
    `after migrating, the catalog lists no permanent table ${missing.join(', ')} in it (dropped, or a ` +
      'temporary or system schema, which cannot hold the state); restore it, or set state.schema to a schema ' +
      "of cohort-sync's own (default cohort_sync)",
  );
}

/**
 * `CREATE SCHEMA IF NOT EXISTS`. Its failure is fatal unless the schema exists all the same: PostgreSQL
 * checks the database-level CREATE privilege even for a schema that exists, and two processes may race
 * to create it. A name that is not a schema of the database's own (`pg_temp`) fails here.
 */
export async function createSchema(source: Source, schema: string): Promise<void> {
  try {
    await source.execute(source.db.schema.createSchema(schema).ifNotExists().compile());
  } catch (error) {
    if (await schemaExists(source, source, schema)) return;
    throw cannotCreate(
      schema,
      error,
      'cohort-sync creates a missing state schema, which needs permission to create schemas; or create it for cohort-sync',
    );
  }
}

/** The state schema, or a table in it, could not be created: the cause and what to do. */
export function cannotCreate(schema: string, cause: unknown, advice: string): WarehouseError {
  return new WarehouseError(
    `cannot create the state schema "${schema}": ${errorMessage(cause)}. ${advice} ` +
      '(see docs/warehouses.md), or set state.schema to another schema',
    { code: 'STATE_SCHEMA', cause },
  );
}
