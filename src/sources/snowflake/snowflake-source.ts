import { Kysely, type CompiledQuery } from 'kysely';
import type { QueryColumn, Row, Source, StatementRunner } from '../source.js';
import { translatedTransaction } from '../translated-transaction.js';
import { statementLabels } from '../statement-labels.js';
import { connectionOptions, describeAccount, type SnowflakeWarehouseConfig } from './connection-options.js';
import { describeSnowflakeError, type SnowflakeErrorContext } from './describe-snowflake-error.js';
import { loadSnowflakeSdk } from './load-snowflake-sdk.js';
import { SessionPool } from './session-pool.js';
import { SNOWFLAKE_CAPABILITIES } from './snowflake-capabilities.js';
import { describeSnowflakeColumn } from './snowflake-column-types.js';
import { snowflakeDialect } from './snowflake-dialect.js';
import { SnowflakeDriver } from './snowflake-driver.js';
import { SnowflakeSession, type StatementRequest } from './snowflake-session.js';

/** Rows a stream yields per chunk by default. */
const DEFAULT_CHUNK_ROWS = 5000;
/**
 * Sessions open at once. Sessions cost nothing on Snowflake (the warehouse bills by running time); a run
 * uses one at a time plus one for its lock heartbeat, and the daemon runs several syncs at once.
 */
const MAX_SESSIONS = 8;

/**
 * Snowflake as warehouse and state store, through snowflake-sdk. Statements are labelled with a
 * QUERY_TAG naming the sync and run, so that their cost can be found in QUERY_HISTORY; results are
 * streamed from the SDK row by row; transactions are BEGIN … COMMIT on one pooled session.
 */
export class SnowflakeSource implements Source {
  readonly type = 'snowflake';
  readonly capabilities = SNOWFLAKE_CAPABILITIES;
  readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  private constructor(
    private readonly pool: SessionPool,
    private readonly context: SnowflakeErrorContext,
  ) {
    const driver = new SnowflakeDriver(
      pool,
      (query) => this.request(query),
      (error) => isConnectionError(this.translate(error)),
    );
    this.db = new Kysely({ dialect: snowflakeDialect(driver) });
  }

  /** Logs in once, so that a wrong account, login or role fails here. */
  static async open(config: SnowflakeWarehouseConfig): Promise<SnowflakeSource> {
    const context: SnowflakeErrorContext = {
      server: describeAccount(config),
      warehouse: config.warehouse,
      statementTimeoutSeconds: config.statement_timeout_seconds,
    };
    const options = await connectionOptions(config);
    const sdk = await loadSnowflakeSdk();
    const timeoutMs = config.connect_timeout_seconds * 1000;
    const pool = new SessionPool(() => SnowflakeSession.open(sdk, options, timeoutMs), MAX_SESSIONS);
    const source = new SnowflakeSource(pool, context);
    try {
      pool.release(await pool.acquire());
    } catch (error) {
      await pool.close();
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
    const session = await this.acquire();
    let result;
    try {
      result = await session.stream(this.request(query));
    } catch (error) {
      const translated = this.translate(error);
      this.pool.release(session, isConnectionError(translated));
      throw translated;
    }
    // The result is Snowflake's now: its chunks are fetched without the session, which can serve others.
    this.pool.release(session);
    let chunk: unknown[][] = [];
    try {
      for await (const row of result.rows) {
        chunk.push(row);
        if (chunk.length === chunkRows) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length > 0) yield chunk;
    } catch (error) {
      throw this.translate(error);
    } finally {
      result.stop();
    }
  }

  async describeColumns(selectSql: string): Promise<QueryColumn[]> {
    const sql = selectSql.trim().replace(/;+\s*$/, '');
    const session = await this.acquire();
    let broken = false;
    try {
      const columns = await session.describe(this.request({ sql, parameters: [] }));
      return columns.map(describeSnowflakeColumn);
    } catch (error) {
      const translated = this.translate(error);
      broken = isConnectionError(translated);
      throw translated;
    } finally {
      this.pool.release(session, broken);
    }
  }

  async transaction<T>(work: (tx: StatementRunner) => Promise<T>): Promise<T> {
    return translatedTransaction(this.db, (error) => this.translate(error), work);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * The statement as the SDK sends it, with session parameters for it alone: a QUERY_TAG naming the
   * sync and run it belongs to (JSON, so that QUERY_HISTORY can be grouped with PARSE_JSON),
   * MULTI_STATEMENT_COUNT = 1, and the configured statement timeout.
   */
  private request(query: Pick<CompiledQuery, 'sql' | 'parameters'>): StatementRequest {
    const labels = statementLabels();
    const tag = JSON.stringify({
      app: 'cohort-sync',
      ...(labels ? { sync: labels.sync, run_id: labels.runId } : {}),
    });
    // One statement per request, whatever the account or user set: an audience query is pasted into
    // statements of ours, and a ';' in it must not start a statement of its own.
    const parameters: Record<string, string | number> = { QUERY_TAG: tag, MULTI_STATEMENT_COUNT: 1 };
    if (this.context.statementTimeoutSeconds !== undefined)
      parameters.STATEMENT_TIMEOUT_IN_SECONDS = this.context.statementTimeoutSeconds;
    return { sql: query.sql, binds: query.parameters, parameters };
  }

  private async acquire(): Promise<SnowflakeSession> {
    try {
      return await this.pool.acquire();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    return describeSnowflakeError(error, this.context);
  }
}

function isConnectionError(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'WAREHOUSE_CONNECTION';
}
