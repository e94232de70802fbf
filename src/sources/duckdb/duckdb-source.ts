import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import { Kysely, sql, type CompiledQuery, type Dialect, type DialectAdapter, type Driver } from 'kysely';
import { DuckDbDialect } from 'kysely-duckdb';
import { WarehouseError, errorMessage } from '../../errors.js';
import type { QueryColumn, Row, SqlCapabilities, Source, StatementRunner } from '../source.js';
import { isIdentifierType } from './duckdb-column-types.js';
import { DUCKDB_STAGE_CATALOG } from './duckdb-config.js';
import { openDuckDb, type DuckDbDatabase } from './duckdb-database.js';
import { duckdbPathProblem } from './duckdb-path.js';
import { DuckDbDriver, DuckDbStatementConnection } from './duckdb-driver.js';

export interface DuckDbSourceOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /** DuckDB's memory_limit (e.g. `256MB`); default DuckDB's own. */
  memoryLimit?: string;
  /** DuckDB's worker threads; default one per core. */
  threads?: number;
  /** The catalog name to attach the file as (see {@link openDuckDb}); default DuckDB's own, the file's name. */
  catalog?: string;
}

export const DUCKDB_CAPABILITIES: SqlCapabilities = {
  textType: 'VARCHAR',
  integerType: 'INTEGER',
  timestampType: 'TIMESTAMPTZ',
  exceptKeyword: 'EXCEPT',
  transactionalDdl: true,
  locking: 'process',
  // Stage tables are rebuilt by every run and dropped after it: writing them to the file (compressed, then
  // checkpointed) cost more than the diff itself. An attached ':memory:' database spills to the temp
  // directory past memory_limit, and `catalog.table` resolves like `schema.table`.
  stageSchema: () => DUCKDB_STAGE_CATALOG,
  // Reading a VARCHAR costs the Node client a TextDecoder call per value; one string per batch instead of
  // four per change cuts the sending side's CPU several times over.
  jsonBatches: {
    quote: (text) => sql`CAST(to_json(${text}) AS VARCHAR)`,
    join: (text) => sql`string_agg(${text}, ',')`,
    batchesPerQuery: 100,
  },
};

/** The embedded default warehouse. A DuckDB file can be open in one process at a time. */
export class DuckDbSource implements Source {
  readonly type = 'duckdb';
  readonly capabilities = DUCKDB_CAPABILITIES;
  readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  private constructor(
    private readonly database: DuckDbDatabase,
    private readonly statements: DuckDbStatementConnection,
  ) {
    this.db = new Kysely({ dialect: duckDbDialect(database.instance, new DuckDbDriver(statements)) });
  }

  static async open(options: DuckDbSourceOptions): Promise<DuckDbSource> {
    await prepareLocation(options.path);
    try {
      const settings: Record<string, string> = {};
      if (options.memoryLimit !== undefined) settings.memory_limit = options.memoryLimit;
      if (options.threads !== undefined) settings.threads = String(options.threads);
      const database = await openDuckDb(options.path, settings, options.catalog);
      const connection = await database.connect();
      await connection.run("SET TimeZone = 'UTC'");
      await connection.run(`ATTACH IF NOT EXISTS ':memory:' AS ${DUCKDB_STAGE_CATALOG}`);
      return new DuckDbSource(database, new DuckDbStatementConnection(connection));
    } catch (error) {
      throw describeOpenError(error, options.path);
    }
  }

  async execute<R extends Row = Row>(query: CompiledQuery): Promise<R[]> {
    const result = await this.db.executeQuery<R>(query);
    return result.rows;
  }

  async *stream(query: CompiledQuery): AsyncIterable<unknown[][]> {
    const connection = await this.database.connect();
    let result: DuckDBResult | undefined;
    let finished = false;
    try {
      result = await connection.stream(query.sql, query.parameters as never);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) {
          finished = true;
          return;
        }
        yield chunk.getRows();
      }
    } finally {
      // A streaming result left unread keeps the database instance alive until it is garbage-collected
      // (the node API cannot close a result), and the next open of this file in this process waits for
      // that — tens of seconds after a run stopped early. Reading the rest releases it; it is local and fast.
      if (result && !finished) await drain(result).catch(() => undefined);
      connection.closeSync();
    }
  }

  async describeColumns(selectSql: string): Promise<QueryColumn[]> {
    // A connection of its own: the statement connection may be inside another sync's transaction.
    const connection: DuckDBConnection = await this.database.connect();
    try {
      const prepared = await connection.prepare(selectSql);
      const columns: QueryColumn[] = [];
      for (let index = 0; index < prepared.columnCount; index++) {
        const type = prepared.columnType(index);
        columns.push({
          name: prepared.columnName(index),
          type: type.toString(),
          identifier: isIdentifierType(type),
        });
      }
      return columns;
    } finally {
      connection.closeSync();
    }
  }

  async transaction<T>(work: (tx: StatementRunner) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) =>
      work({
        execute: async <R extends Row>(query: CompiledQuery) => (await trx.executeQuery<R>(query)).rows,
      }),
    );
  }

  async close(): Promise<void> {
    await this.db.destroy();
    this.statements.raw.closeSync();
    this.database.close();
  }
}

/**
 * kysely-duckdb supplies the DuckDB query compiler and adapter; the driver is ours so that results keep
 * UTC timestamps and streams read whole chunks. The adapter cast bridges a typing quirk only: kysely-duckdb's
 * declarations resolve kysely's CommonJS types while we import its ESM ones; the runtime class is the same.
 */
function duckDbDialect(instance: DuckDBInstance, driver: Driver): Dialect {
  const base = new DuckDbDialect({ database: instance });
  return {
    createAdapter: () => base.createAdapter() as unknown as DialectAdapter,
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db as never),
    createDriver: () => driver,
  };
}

async function drain(result: DuckDBResult): Promise<void> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) return;
  }
}

/**
 * Refuses a path that can hold no database file before DuckDB sees it (on some, such as files under /proc,
 * DuckDB spins forever), and creates its folder.
 */
async function prepareLocation(file: string): Promise<void> {
  if (file === ':memory:') return;
  let problem: string | undefined;
  try {
    problem = duckdbPathProblem(file);
  } catch (error) {
    problem = `cannot be reached: ${errorMessage(error)}`;
  }
  if (problem !== undefined) throw new WarehouseError(`warehouse.path ${file} ${problem}`, {});
  try {
    await mkdir(path.dirname(file), { recursive: true });
  } catch (error) {
    throw new WarehouseError(
      `cannot create the folder of warehouse.path ${file}: ${errorMessage(error)}; create it, or choose a path this user may write`,
      { cause: error },
    );
  }
}

/** DuckDB locks a database file per process; say which process holds it and what to do. */
function describeOpenError(error: unknown, file: string): WarehouseError {
  const message = error instanceof Error ? error.message : String(error);
  const holder = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(message);
  if (holder) {
    return new WarehouseError(
      `DuckDB file ${file} is open in another process (${holder[1]}, PID ${holder[2]}); DuckDB allows one process at a time: ` +
        'stop that process (another cohort-sync run or daemon, or a DuckDB shell) and try again',
      { code: 'WAREHOUSE_LOCKED', cause: error },
    );
  }
  return new WarehouseError(`cannot open DuckDB file ${file} (warehouse.path): ${message}`, { cause: error });
}
