import type { CompiledQuery, Kysely, RawBuilder } from 'kysely';

/** A row as a plain object; BIGINT values arrive as JS numbers (or strings past 2^53). */
export type Row = Record<string, unknown>;

/**
 * What a warehouse's SQL can do, declared by its adapter so that the SQL
 * builders ask instead of checking the warehouse type.
 */
export interface SqlCapabilities {
  /** Type used to cast identifiers to text. */
  readonly textType: string;
  /** Integer type for batch numbers and counters. */
  readonly integerType: string;
  /** Type for timestamps with time zone. */
  readonly timestampType: string;
  /** Set difference keyword: `EXCEPT`, `EXCEPT DISTINCT` (BigQuery) or `MINUS`. */
  readonly exceptKeyword: string;
  /** Whether CREATE/DROP TABLE may run inside a transaction. */
  readonly transactionalDdl: boolean;
  /**
   * Whether {@link Source.transaction} may defer its statements and run its work more than once (BigQuery).
   * Work that only writes is collected and sent as one script when the work returns, so that a client that
   * dies meanwhile leaves no transaction open: inside the work `execute` resolves at once with no rows and
   * nothing has run yet, so whatever the work reads of the run's own progress (the bytes its jobs billed, a
   * clock) is from before its statements; the script's own bytes are metered once it has run, after
   * `transaction` returns. Work that reads runs statement by statement in a session instead. Either way a
   * transaction cancelled for a concurrent update is run again from the start, work included, so the work
   * must do nothing but run statements. Default `false`: each statement runs when `execute` is called, and
   * the work runs once.
   */
  readonly deferredTransactions?: boolean;
  /**
   * How one run per sync is enforced across processes.
   * `process`: the database is exclusive to one process (DuckDB file lock), so an in-process lock suffices;
   * `advisory`: a session-scoped advisory lock (PostgreSQL);
   * `lease`: a lease row in sync_locks renewed by a heartbeat.
   */
  readonly locking: 'process' | 'advisory' | 'lease';
  /**
   * The schema per-run stage tables go in, given the state schema. DuckDB keeps them in an in-memory
   * database attached to the instance, so staging millions of rows writes nothing to the file.
   * Default: the state schema.
   */
  readonly stageSchema?: (stateSchema: string) => string;
  /**
   * Batches are serialised to JSON in the warehouse and streamed as one row each. Default: absent, and
   * change rows are streamed and serialised in Node.
   */
  readonly jsonBatches?: JsonBatchSql;
  /**
   * Builds `CREATE … TABLE table AS select` for a per-run stage table, so a warehouse can make it
   * cheap and self-cleaning (Snowflake TRANSIENT, BigQuery expiration). Default: {@link createTableAs}.
   */
  readonly createStageTable?: (
    table: RawBuilder<unknown>,
    select: RawBuilder<unknown>,
  ) => RawBuilder<unknown>;
  /**
   * The window of the ROW_NUMBER() that numbers a run's changes into batches. Default `()`: any order will
   * do. Snowflake refuses ROW_NUMBER without an ORDER BY in its window.
   */
  readonly changeNumberWindow?: string;
  /**
   * Whether secondary indexes (`CREATE INDEX`) exist and pay off on the state tables. Default `false`:
   * DuckDB scans are fast and its indexes slow writes; BigQuery and Snowflake have none.
   */
  readonly indexes?: boolean;
  /**
   * The text of a value of a column whose type may hold fractions ({@link QueryColumn.fractionPossible}):
   * the exact digits of a whole value (`1.0` → `1`); a value with a fraction fails the statement with an
   * error naming `column`. Required where a source reports such columns.
   */
  readonly wholeNumberText?: (value: RawBuilder<unknown>, column: string) => RawBuilder<unknown>;
  /** The advisory lock statements; required when {@link locking} is `advisory`. */
  readonly advisoryLock?: AdvisoryLockSql;
  /**
   * Where the catalog says a schema's tables are, so that migrations adopt no table they did not create
   * and check that the state tables are permanent tables of the configured schema. Default:
   * `information_schema` of the current database (`INFORMATION_SCHEMA_CATALOG`).
   */
  readonly catalog?: CatalogSql;
}

/** Catalog lookups, by schema name as written in config (each engine matches it the way it folds names). */
export interface CatalogSql {
  /** A row when the schema exists in the current database; no row (or an error) when it does not. */
  schema(schema: string): RawBuilder<Row>;
  /**
   * Every table and view in the schema: `table_name`, and `table_type`, which is `BASE TABLE` exactly for a
   * permanent table (not a view, not a temporary table).
   */
  tables(schema: string): RawBuilder<{ table_name: string; table_type: string }>;
}

/**
 * Named locks the warehouse keeps for us, keyed by a signed 64-bit integer given as a decimal string
 * (see `src/state/lock-key.ts`).
 */
export interface AdvisoryLockSql {
  /** Takes the session-level lock if it is free, without waiting; one row with a boolean `locked`. */
  tryLock(key: string): RawBuilder<{ locked: boolean }>;
  /** Releases a session-level lock taken with {@link tryLock}. */
  unlock(key: string): RawBuilder<unknown>;
  /** Waits for a transaction-level lock, released by COMMIT or ROLLBACK. */
  transactionLock(key: string): RawBuilder<unknown>;
}

/** A dedicated warehouse connection, for state that lives as long as a session (advisory locks). */
export interface SourceSession extends StatementRunner {
  /** Aborted when the connection is lost: whatever the session held (its locks) is gone. */
  readonly lost: AbortSignal;
  /** Ends the session; never throws. */
  close(): Promise<void>;
}

/**
 * SQL that serialises identifiers to JSON in the warehouse, so that each batch streams out as one row of
 * ready-made request-body text instead of a row per identifier (see batch-body-statements.ts).
 */
export interface JsonBatchSql {
  /** A text expression as a JSON string literal, quoted and escaped (`"a\"b"`). */
  quote(text: RawBuilder<unknown>): RawBuilder<unknown>;
  /** Aggregate: the group's non-NULL texts joined with `,`; NULL when there are none. */
  join(text: RawBuilder<unknown>): RawBuilder<unknown>;
  /**
   * Batches aggregated per query, so that the warehouse never holds a whole run's text at once;
   * `Infinity` for one query over all batches, where the warehouse streams an ordered aggregate.
   */
  batchesPerQuery: number;
}

/** A column of a query result, as {@link Source.describeColumns} reports it. */
export interface QueryColumn {
  name: string;
  /** The warehouse's name for the column's type, for messages (e.g. `BOOLEAN`, `double precision`). */
  type: string;
  /**
   * Whether the column's values, cast to text, make usable Braze identifiers: text, whole numbers (their
   * exact decimal text) and UUIDs do; booleans, floats, decimals with a fraction, dates and times, lists,
   * structs, JSON and binary do not ("true", "1e+20", "2024-01-01" are not anyone's id).
   */
  identifier: boolean;
  /**
   * A numeric type that does not fix its scale (PostgreSQL's `numeric` without one, which arithmetic,
   * SUM() and `bigint UNION numeric` produce): only its values tell whether they are whole. Staging sends
   * each as the digits of its whole value, and fails on a value with a fraction
   * ({@link SqlCapabilities.wholeNumberText}). Default: false.
   */
  fractionPossible?: boolean;
}

/** Executes statements; the part of a {@link Source} a transaction also offers. */
export interface StatementRunner {
  /** Runs one statement and returns its rows (empty for DDL/DML). For small results only. */
  execute<R extends Row = Row>(query: CompiledQuery): Promise<R[]>;
}

/**
 * One warehouse connection, behind the interface every adapter implements.
 * The SQL it runs is built elsewhere (src/diff, src/state) with {@link db}.
 */
export interface Source extends StatementRunner {
  /** Warehouse type as written in config (`duckdb`, `postgres`, …). */
  readonly type: string;
  readonly capabilities: SqlCapabilities;
  /** A Kysely instance for this dialect: compile statements with it; do not keep results in memory with it. */
  readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tables are created at run time
  /**
   * Streams a result in chunks of rows, each row an array in select-list order.
   * Never holds the whole result in memory.
   */
  stream(query: CompiledQuery, options?: { chunkRows?: number }): AsyncIterable<unknown[][]>;
  /** The columns a SELECT statement returns, with their types, without running it to completion. */
  describeColumns(selectSql: string): Promise<QueryColumn[]>;
  /** A dedicated connection. Sources whose locking is `advisory` implement it; others need not. */
  openSession?(): Promise<SourceSession>;
  /** Runs `work` in one transaction: all of it commits, or none. */
  transaction<T>(work: (tx: StatementRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
