import type { DuckDBConnection } from '@duckdb/node-api';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { Mutex } from '../mutex.js';
import { normalizeRow } from '../normalize-value.js';

/**
 * A Kysely driver over one DuckDB connection. Statements and transactions are
 * serialised on it by a mutex; streams use connections of their own (see
 * duckdb-source.ts), so a long read never blocks a checkpoint write.
 */
export class DuckDbDriver implements Driver {
  private readonly mutex = new Mutex();
  private readonly releases = new WeakMap<DatabaseConnection, () => void>();

  constructor(private readonly connection: DuckDbStatementConnection) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.acquire();
    this.releases.set(this.connection, release);
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN TRANSACTION'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.releases.get(connection)?.();
    this.releases.delete(connection);
    return Promise.resolve();
  }

  async destroy(): Promise<void> {}
}

/** Kysely's view of a DuckDB connection: run a statement, read every row as plain JS. */
export class DuckDbStatementConnection implements DatabaseConnection {
  constructor(readonly raw: DuckDBConnection) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const reader = await this.raw.runAndReadAll(query.sql, query.parameters as never);
    const rows = reader.getRowObjectsJS().map((row) => normalizeRow(row as Record<string, unknown>)) as R[];
    return { rows, numAffectedRows: undefined };
  }

  /** Streaming goes through DuckDbSource.stream, which reads whole DuckDB chunks without a row object per row. */
  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('stream through Source.stream()');
  }
}
