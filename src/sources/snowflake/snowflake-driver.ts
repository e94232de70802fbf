import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import type { SessionPool } from './session-pool.js';
import type { SnowflakeSession, StatementRequest } from './snowflake-session.js';

/** Builds the request for a compiled statement: its SQL and values, with this moment's session parameters. */
export type RequestFor = (query: CompiledQuery) => StatementRequest;

/**
 * A kysely driver over pooled Snowflake sessions. A transaction is BEGIN … COMMIT on one session; a
 * session whose statement failed for want of a connection is ended rather than reused.
 */
export class SnowflakeDriver implements Driver {
  constructor(
    private readonly pool: SessionPool,
    private readonly requestFor: RequestFor,
    /** Whether an error means the session can no longer be trusted (its connection failed). */
    private readonly isConnectionError: (error: unknown) => boolean,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SnowflakeConnection(await this.pool.acquire(), this.requestFor, this.isConnectionError);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    const { session, broken } = connection as SnowflakeConnection;
    this.pool.release(session, broken);
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.pool.close();
  }
}

/** Kysely's view of one session: run a statement, read its rows as objects. */
class SnowflakeConnection implements DatabaseConnection {
  broken = false;

  constructor(
    readonly session: SnowflakeSession,
    private readonly requestFor: RequestFor,
    private readonly isConnectionError: (error: unknown) => boolean,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return { rows: (await this.session.run(this.requestFor(query))) as R[] };
    } catch (error) {
      if (this.isConnectionError(error)) this.broken = true;
      throw error;
    }
  }

  /** Streaming goes through SnowflakeSource.stream, which reads rows in select-list order. */
  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('stream through Source.stream()');
  }
}
