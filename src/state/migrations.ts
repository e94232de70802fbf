import { sql, type Kysely } from 'kysely';
import type { SqlCapabilities, Source } from '../sources/source.js';
import { WarehouseError } from '../errors.js';

interface MigrationContext {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  schema: string;
  caps: SqlCapabilities;
}

interface Migration {
  version: number;
  description: string;
  statements(context: MigrationContext): { sql: string; parameters: readonly unknown[] }[];
}

/**
 * The state schema's versions, applied in order and recorded in
 * schema_version. Never edit a released migration; add the next one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'cohort_snapshot, sync_runs, sync_changes, sync_locks',
    statements: ({ db, schema, caps }) => {
      const text = sql.raw(caps.textType);
      const int = sql.raw(caps.integerType);
      const big = sql.raw('BIGINT');
      const ts = sql.raw(caps.timestampType);
      const s = db.schema.withSchema(schema);
      return [
        s
          .createTable('cohort_snapshot')
          .ifNotExists()
          .addColumn('sync_name', text, (c) => c.notNull())
          .addColumn('id_type', text, (c) => c.notNull())
          .addColumn('id', text, (c) => c.notNull())
          .addColumn('alias_label', text, (c) => c.notNull())
          .addColumn('added_at', ts, (c) => c.notNull())
          .addColumn('run_id', text, (c) => c.notNull())
          .compile(),
        s
          .createTable('sync_runs')
          .ifNotExists()
          .addColumn('run_id', text, (c) => c.primaryKey())
          .addColumn('sync_name', text, (c) => c.notNull())
          .addColumn('cohort_id', text, (c) => c.notNull())
          .addColumn('cohort_name', text, (c) => c.notNull())
          .addColumn('trigger', text, (c) => c.notNull())
          .addColumn('dry_run', 'boolean', (c) => c.notNull())
          .addColumn('status', text, (c) => c.notNull())
          .addColumn('started_at', ts, (c) => c.notNull())
          .addColumn('finished_at', ts)
          .addColumn('query_rows', big)
          .addColumn('skipped_null', big)
          .addColumn('skipped_duplicate', big)
          .addColumn('skipped_invalid', big)
          .addColumn('to_add', big)
          .addColumn('to_remove', big)
          .addColumn('added', big, (c) => c.notNull().defaultTo(0))
          .addColumn('removed', big, (c) => c.notNull().defaultTo(0))
          .addColumn('failed', big, (c) => c.notNull().defaultTo(0))
          .addColumn('requests', big, (c) => c.notNull().defaultTo(0))
          .addColumn('retries', big, (c) => c.notNull().defaultTo(0))
          .addColumn('error', text)
          .addColumn('skip_reasons', text)
          .compile(),
        s
          .createTable('sync_changes')
          .ifNotExists()
          .addColumn('run_id', text, (c) => c.notNull())
          .addColumn('sync_name', text, (c) => c.notNull())
          .addColumn('op', text, (c) => c.notNull())
          .addColumn('id_type', text, (c) => c.notNull())
          .addColumn('id', text, (c) => c.notNull())
          .addColumn('alias_label', text, (c) => c.notNull())
          .addColumn('batch', int, (c) => c.notNull())
          .addColumn('status', text, (c) => c.notNull())
          .addColumn('error', text)
          .addColumn('created_at', ts, (c) => c.notNull())
          .compile(),
        s
          .createTable('sync_locks')
          .ifNotExists()
          .addColumn('sync_name', text, (c) => c.primaryKey())
          .addColumn('owner', text, (c) => c.notNull())
          .addColumn('run_id', text, (c) => c.notNull())
          .addColumn('acquired_at', ts, (c) => c.notNull())
          .addColumn('lease_until', ts, (c) => c.notNull())
          .compile(),
      ];
    },
  },
];

/** The newest state schema version this build knows. */
export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Creates the state schema if needed and applies every migration newer than
 * the recorded version. Refuses a schema written by a newer cohort-sync.
 */
export async function migrateState(source: Source, schema: string): Promise<void> {
  const { db, capabilities: caps } = source;
  try {
    await source.execute(db.schema.createSchema(schema).ifNotExists().compile());
    await source.execute(
      db.schema
        .withSchema(schema)
        .createTable('schema_version')
        .ifNotExists()
        .addColumn('version', sql.raw(caps.integerType), (c) => c.primaryKey())
        .addColumn('description', sql.raw(caps.textType), (c) => c.notNull())
        .addColumn('applied_at', sql.raw(caps.timestampType), (c) => c.notNull())
        .compile(),
    );
  } catch (error) {
    throw new WarehouseError(
      `cannot create the state schema "${schema}": ${(error as Error).message}. ` +
        'cohort-sync needs permission to create tables in that schema (see docs/configuration.md)',
      { code: 'STATE_SCHEMA', cause: error },
    );
  }
  const current = await currentVersion(source, schema);
  if (current > LATEST_VERSION) {
    throw new WarehouseError(
      `state schema "${schema}" is at version ${current}, newer than this cohort-sync knows (${LATEST_VERSION}); upgrade cohort-sync`,
      { code: 'STATE_SCHEMA' },
    );
  }
  for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
    const statements = migration.statements({ db, schema, caps });
    const record = db
      .withSchema(schema)
      .insertInto('schema_version')
      .values({
        version: migration.version,
        description: migration.description,
        applied_at: sql`CURRENT_TIMESTAMP`,
      })
      .compile();
    const apply = async (runner: { execute: Source['execute'] }) => {
      for (const statement of [...statements, record]) await runner.execute(statement as never);
    };
    if (caps.transactionalDdl) await source.transaction(apply);
    else await apply(source);
  }
}

async function currentVersion(source: Source, schema: string): Promise<number> {
  const rows = await source.execute<{ version: number | null }>(
    source.db
      .withSchema(schema)
      .selectFrom('schema_version')
      .select((eb) => eb.fn.max('version').as('version'))
      .compile(),
  );
  return Number(rows[0]?.version ?? 0);
}
