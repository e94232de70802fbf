import { Kysely, type CompiledQuery } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { WarehouseError } from '../../errors.js';
import type { QueryColumn, Row, Source, SourceSession, StatementRunner } from '../source.js';
import { translatedTransaction } from '../translated-transaction.js';
import { describePgError, type PgErrorContext } from './describe-pg-error.js';
import { describePgColumnType } from './postgres-column-types.js';
import { SingleStatementPostgresDialect, singleStatement } from './postgres-dialect.js';
import { POSTGRES_CAPABILITIES } from './postgres-capabilities.js';
import { describeServer, poolConfig, type PostgresWarehouseConfig } from './pool-config.js';

/** Rows a stream fetches per round trip by default. */
const DEFAULT_CHUNK_ROWS = 5000;
/** A cursor close the server does not answer in this time is given up: the connection is discarded. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * PostgreSQL as warehouse and state store: a pg Pool behind kysely's PostgresDialect, every statement one
 * statement of the extended protocol (see postgres-dialect.ts); results are streamed
 * through a server-side cursor; advisory locks live on sessions of their own, outside the pool.
 */
export class PostgresSource implements Source {
  readonly type = 'postgres';
  readonly capabilities = POSTGRES_CAPABILITIES;
  readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly context: PgErrorContext;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    config: PostgresWarehouseConfig,
  ) {
    this.db = new Kysely({ dialect: new SingleStatementPostgresDialect(pool) });
    this.context = {
      server: describeServer(config),
      statementTimeoutSeconds: config.statement_timeout_seconds,
    };
  }

  /** Opens the pool and checks that one connection can be made, so a bad address or login fails here. */
  static async open(config: PostgresWarehouseConfig): Promise<PostgresSource> {
    const settings = poolConfig(config);
    const pool = new pg.Pool(settings);
    // A connection the server closes emits 'error' on its client (idle: also on the pool); unheard, that
    // would end the process. The statement in flight on it, if any, rejects by itself and is reported.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const source = new PostgresSource(pool, settings, config);
    try {
      const client = await pool.connect();
      client.release();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw source.translate(error);
    }
    return source;
  }

  async execute<R extends Row = Row>(query: CompiledQuery): Promise<R[]> {
    try {
      return (await this.db.executeQuery<R>(query)).rows;
    } catch (error) {
      throw this.translate(error);
    }
  }

  async *stream(query: CompiledQuery, options: { chunkRows?: number } = {}): AsyncIterable<unknown[][]> {
    const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
    const client = await this.connect();
    // The session may die while the consumer holds a chunk: then the portal cannot (and need not) be closed.
    let lost = false;
    let onLost = () => void (lost = true);
    const ended = new Promise<void>((resolve) => {
      onLost = () => {
        lost = true;
        resolve();
      };
    });
    client.on('error', onLost);
    client.on('end', onLost);
    const cursor = client.query(
      new Cursor<unknown[]>(query.sql, query.parameters as unknown[], { rowMode: 'array' }),
    );
    try {
      for (;;) {
        const rows = await cursor.read(chunkRows);
        if (rows.length > 0) yield rows;
        if (rows.length < chunkRows) return;
      }
    } catch (error) {
      lost = true;
      throw this.translate(error);
    } finally {
      // A cursor that took an error, or a session that ends meanwhile, would never answer the close.
      const failed = (cursor as unknown as { state?: string }).state === 'error';
      if (!lost && !failed) {
        let timer: NodeJS.Timeout | undefined;
        const unanswered = new Promise<void>((resolve) => {
          timer = setTimeout(() => resolve(onLost()), CLOSE_TIMEOUT_MS);
        });
        await Promise.race([cursor.close(), ended, unanswered]).catch(() => (lost = true));
        clearTimeout(timer);
      }
      client.off('error', onLost);
      client.off('end', onLost);
      client.release(lost || failed ? true : undefined);
    }
  }

  async describeColumns(selectSql: string): Promise<QueryColumn[]> {
    // LIMIT 0: PostgreSQL plans the query and describes its columns without reading any row.
    const text = `SELECT * FROM (${selectSql.trim().replace(/;+\s*$/, '')}\n) AS q LIMIT 0`;
    try {
      const result = await this.pool.query(singleStatement(text));
      return result.fields.map((field) => ({
        name: field.name,
        ...describePgColumnType(field.dataTypeID, field.dataTypeModifier),
      }));
    } catch (error) {
      throw this.translate(error);
    }
  }

  async transaction<T>(work: (tx: StatementRunner) => Promise<T>): Promise<T> {
    return translatedTransaction(this.db, (error) => this.translate(error), work);
  }

  /** A connection outside the pool, so that sessions (lock holders) never starve the pool or the reverse. */
  async openSession(): Promise<SourceSession> {
    const client = new pg.Client(this.clientConfig);
    const lost = new AbortController();
    const onLost = (error?: unknown) => {
      if (lost.signal.aborted) return;
      const reason =
        error instanceof Error
          ? this.translate(error)
          : new WarehouseError(`lost the connection to PostgreSQL at ${this.context.server}`, {
              code: 'WAREHOUSE_CONNECTION',
              retryable: true,
            });
      lost.abort(reason);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.connect();
    } catch (error) {
      throw this.translate(error);
    }
    let closed = false;
    return {
      lost: lost.signal,
      execute: async <R extends Row>(query: CompiledQuery) => {
        try {
          return (await client.query<R>(singleStatement(query.sql, query.parameters))).rows;
        } catch (error) {
          throw this.translate(error);
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        client.off('end', onLost);
        await client.end().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    return describePgError(error, this.context);
  }
}
