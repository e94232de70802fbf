import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { SqlCapabilities, Source, StatementRunner } from '../sources/source.js';
import { errorMessage } from '../errors.js';
import { lockKey } from './lock-key.js';
import {
  cannotCreate,
  createSchema,
  existingStateTables,
  refuseForeignTables,
  stateSchemaError,
  verifyStateTables,
} from './state-catalog.js';

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
  {
    version: 2,
    description:
      'indexes for snapshot lookups, batch updates and recent runs (where the warehouse has indexes)',
    statements: ({ db, schema, caps }) => {
      if (!caps.indexes) return [];
      const s = db.schema.withSchema(schema);
      return [
        s
          .createIndex('cohort_snapshot_member')
          .ifNotExists()
          .on('cohort_snapshot')
          .columns(['sync_name', 'id_type', 'id', 'alias_label'])
          .compile(),
        s
          .createIndex('sync_changes_run_batch')
          .ifNotExists()
          .on('sync_changes')
          .columns(['run_id', 'batch'])
          .compile(),
        s
          .createIndex('sync_runs_sync_started')
          .ifNotExists()
          .on('sync_runs')
          .columns(['sync_name', 'started_at'])
          .compile(),
      ];
    },
  },
  {
    version: 3,
    description:
      'sync_runs.bytes_processed and bytes_billed: what the warehouse reported for a run (BigQuery)',
    statements: ({ db, schema }) => {
      const table = () => db.schema.withSchema(schema).alterTable('sync_runs');
      return [
        table().addColumn('bytes_processed', sql.raw('BIGINT')).compile(),
        table().addColumn('bytes_billed', sql.raw('BIGINT')).compile(),
      ];
    },
  },
];

/** The newest state schema version this build knows. */
export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Creates the state schema if needed and applies every migration newer than the recorded version, then
 * checks that every state table is a permanent table of that schema. Refuses a schema written by a newer
 * cohort-sync, and tables it did not create (it never adopts them). Where the warehouse has advisory
 * locks, concurrent migrations by several processes wait for each other instead of colliding.
 */
export async function migrateState(source: Source, schema: string): Promise<void> {
  const { db, capabilities: caps } = source;
  await createSchema(source, schema);
  const lock = caps.advisoryLock?.transactionLock(lockKey(`migrate:${schema}`)).compile(db);
  let found: Map<string, string> | undefined;
  if (lock) {
    // One transaction: the lock, the checks, the version and every pending migration (transactional DDL).
    found = await source.transaction(async (tx) => {
      await tx.execute(lock);
      const { existing, pending } = await prepareMigrations(tx, source, schema);
      for (const migration of pending)
        for (const statement of migrationStatements(source, schema, migration)) await tx.execute(statement);
      return pending.length === 0 ? existing : undefined;
    });
  } else {
    const { existing, pending } = await prepareMigrations(source, source, schema);
    for (const migration of pending) {
      const statements = migrationStatements(source, schema, migration);
      const apply = async (runner: StatementRunner) => {
        for (const statement of statements) await runner.execute(statement);
      };
      if (caps.transactionalDdl) await source.transaction(apply);
      else await apply(source);
    }
    found = pending.length === 0 ? existing : undefined;
  }
  // With nothing migrated, the catalog's answer before is still true; after migrations, ask again.
  verifyStateTables(schema, found ?? (await existingStateTables(source, source, schema)));
}

/**
 * What is there before migrating, and what to apply: refuses tables cohort-sync did not create, creates
 * schema_version if it is missing, and reads the recorded version.
 */
async function prepareMigrations(
  runner: StatementRunner,
  source: Source,
  schema: string,
): Promise<{ existing: Map<string, string>; pending: readonly Migration[] }> {
  const existing = await existingStateTables(runner, source, schema);
  refuseForeignTables(schema, existing);
  if (!existing.has('schema_version')) await createVersionTable(runner, source, schema);
  return { existing, pending: pendingMigrations(await currentVersion(runner, source, schema)) };
}

async function createVersionTable(runner: StatementRunner, source: Source, schema: string): Promise<void> {
  const caps = source.capabilities;
  try {
    await runner.execute(
      source.db.schema
        .withSchema(schema)
        .createTable('schema_version')
        .ifNotExists()
        .addColumn('version', sql.raw(caps.integerType), (c) => c.primaryKey())
        .addColumn('description', sql.raw(caps.textType), (c) => c.notNull())
        .addColumn('applied_at', sql.raw(caps.timestampType), (c) => c.notNull())
        .compile(),
    );
  } catch (error) {
    throw cannotCreate(schema, error, 'cohort-sync needs permission to create tables in that schema');
  }
}

function pendingMigrations(current: number): readonly Migration[] {
  return MIGRATIONS.filter((m) => m.version > current);
}

/** A migration's statements followed by the row that records it. */
function migrationStatements(source: Source, schema: string, migration: Migration): CompiledQuery[] {
  const { db, capabilities: caps } = source;
  const record = db
    .withSchema(schema)
    .insertInto('schema_version')
    .values({
      version: migration.version,
      description: migration.description,
      applied_at: sql`CURRENT_TIMESTAMP`,
    })
    .compile();
  return [...(migration.statements({ db, schema, caps }) as CompiledQuery[]), record];
}

/**
 * The recorded version, once schema_version is known to be cohort-sync's: every row must be a migration
 * this build knows, with its description. A table of the same name kept by another tool (Flyway's old
 * `schema_version`) has other columns or other rows, and is refused rather than taken over.
 */
async function currentVersion(runner: StatementRunner, source: Source, schema: string): Promise<number> {
  const rows = await runner
    .execute<{ version: number; description: string }>(
      source.db.withSchema(schema).selectFrom('schema_version').select(['version', 'description']).compile(),
    )
    .catch((error: unknown) => {
      throw stateSchemaError(
        schema,
        `cannot read its schema_version table: ${errorMessage(error)}. If that table is not cohort-sync's, ` +
          'choose another state.schema, or drop or rename it',
        error,
      );
    });
  const current = Math.max(0, ...rows.map((row) => Number(row.version)));
  if (current > LATEST_VERSION) {
    throw stateSchemaError(
      schema,
      `it is at version ${current}, newer than this cohort-sync knows (${LATEST_VERSION}); upgrade cohort-sync`,
    );
  }
  const foreign = rows.find(
    (row) => MIGRATIONS.find((m) => m.version === Number(row.version))?.description !== row.description,
  );
  if (foreign)
    throw stateSchemaError(
      schema,
      `it has a table schema_version that cohort-sync did not create (version ${String(foreign.version)} is ` +
        `recorded as "${String(foreign.description)}", not a cohort-sync migration); choose another ` +
        'state.schema, or drop or rename that table',
    );
  return current;
}
