import { BigQuery } from '@google-cloud/bigquery';
import type { AuthClient } from 'google-auth-library';
import { setTimeout as delay } from 'node:timers/promises';
import { CompiledQuery, Kysely } from 'kysely';
import { WarehouseError } from '../../errors.js';
import type { QueryColumn, Row, SqlCapabilities, Source, StatementRunner } from '../source.js';
import { bigqueryCapabilities } from './bigquery-capabilities.js';
import type { BigQueryWarehouseConfig } from './bigquery-config.js';
import { BigQueryDialect } from './bigquery-dialect.js';
import { BigQueryJobs, type BigQueryApi, type BigQueryRequest, type QueryOptions } from './bigquery-jobs.js';
import { isIdentifierField, rowValues } from './bigquery-values.js';
import { transactionScript } from './transaction-script.js';
import { describeBigQueryError, type BigQueryErrorContext } from './describe-bigquery-error.js';

export type { BigQueryWarehouseConfig };

export interface BigQueryConnectOptions {
  /** Credentials to use instead of key_file or Application Default Credentials (tests pass a fake token). */
  authClient?: AuthClient;
}

/** Rows a stream asks for per page by default. */
const DEFAULT_CHUNK_ROWS = 10_000;
/** Attempts of a transaction that BigQuery cancels for a concurrent update of one of its tables. */
const TRANSACTION_ATTEMPTS = 4;
const CONFLICT_BACKOFF_MS = 250;
/** Statements whose rows a transaction's work needs back: it then runs in a session, statement by statement. */
const READ = /^\s*\(?\s*(select|with)\b/i;

/** Thrown into a transaction's work that reads, to run it again in a session. */
class ReadsInTransaction extends Error {}

/**
 * BigQuery as warehouse and state store, through the official SDK. Every statement is a query job;
 * results are paged with jobs.getQueryResults; a transaction is a BigQuery session holding a
 * multi-statement transaction (see {@link transaction}).
 */
export class BigQuerySource implements Source {
  readonly type = 'bigquery';
  readonly capabilities: SqlCapabilities;
  readonly db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly jobs: BigQueryJobs;
  private readonly context: BigQueryErrorContext;

  private constructor(api: BigQueryApi, config: BigQueryWarehouseConfig) {
    this.capabilities = bigqueryCapabilities({ stageExpirationHours: config.stage_expiration_hours });
    this.jobs = new BigQueryJobs(api, {
      location: config.location,
      maximumBytesBilled: config.maximum_bytes_billed,
      jobTimeoutMs:
        config.job_timeout_seconds === undefined ? undefined : Math.round(config.job_timeout_seconds * 1000),
    });
    this.context = {
      target: `project ${config.project_id} (${config.location})`,
      endpoint: config.api_endpoint ?? 'https://bigquery.googleapis.com',
    };
    this.db = new Kysely({ dialect: new BigQueryDialect((query) => this.execute(query)) });
  }

  /** Creates the client; nothing is called until the first statement (BigQuery has no connection to open). */
  static open(config: BigQueryWarehouseConfig, options: BigQueryConnectOptions = {}): BigQuerySource {
    const client = new BigQuery({
      projectId: config.project_id,
      location: config.location,
      apiEndpoint: config.api_endpoint,
      keyFilename: options.authClient ? undefined : config.key_file,
      authClient: options.authClient,
      userAgent: 'cohort-sync',
    });
    const api: BigQueryApi = (request: BigQueryRequest) =>
      new Promise((resolve, reject) =>
        client.request(request, (error, body) => (error ? reject(error) : resolve(body))),
      );
    return new BigQuerySource(api, config);
  }

  async execute<R extends Row = Row>(
    query: CompiledQuery,
    options?: QueryOptions & { named?: Record<string, unknown> },
  ): Promise<R[]> {
    try {
      const { fields, rows } = await this.jobs.run(query.sql, options?.named ?? query.parameters, options);
      return rows.map((row) => {
        const values = rowValues(fields, row);
        return Object.fromEntries(fields.map((field, index) => [field.name, values[index]])) as R;
      });
    } catch (error) {
      throw this.translate(error);
    }
  }

  async *stream(query: CompiledQuery, options: { chunkRows?: number } = {}): AsyncIterable<unknown[][]> {
    const maxResults = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
    try {
      for await (const page of this.jobs.pages(query.sql, query.parameters, { maxResults }))
        yield page.rows.map((row) => rowValues(page.fields, row));
    } catch (error) {
      throw this.translate(error);
    }
  }

  async describeColumns(selectSql: string): Promise<QueryColumn[]> {
    try {
      const { statementType, fields } = await this.jobs.dryRun(selectSql.trim().replace(/;+\s*$/, ''));
      // The query is pasted into the stage statement: anything but one SELECT (a DML statement, a script of
      // several) would either fail there or, as a script, run with the tool's credentials.
      if (statementType !== 'SELECT')
        throw new WarehouseError(
          `the audience query must be one SELECT statement; BigQuery reads it as ${statementType ?? 'an unknown statement'}` +
            (statementType === 'SCRIPT' ? ' (several statements: a ";" ends a statement)' : ''),
          { code: 'QUERY_NOT_SELECT' },
        );
      return fields.map((field) => ({
        name: field.name,
        type: field.mode === 'REPEATED' ? `ARRAY<${field.type}>` : field.type,
        identifier: isIdentifierField(field),
      }));
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Runs `work` as one BigQuery multi-statement transaction. Work that only writes (the snapshot apply
   * with its audit update, the common case) is collected and sent as one script job,
   * `BEGIN TRANSACTION; …; COMMIT TRANSACTION;`: BigQuery runs it to its end on its side and rolls it back
   * if a statement fails, so a client killed meanwhile leaves no open transaction behind. Work that reads
   * (the lock's check-then-take) runs in a session instead: `BEGIN TRANSACTION` opens it, each statement
   * is a job in it, then `COMMIT TRANSACTION` (or `ROLLBACK TRANSACTION`), and the session is ended.
   * BigQuery cancels a transaction that updates or deletes rows of a table another open transaction
   * changes; nothing of it is kept, so it is run again from the start (`work` reads afresh) after a wait.
   * Callers learn both from the capability {@link SqlCapabilities.deferredTransactions}.
   */
  async transaction<T>(work: (tx: StatementRunner) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(work);
      } catch (error) {
        const conflict = error instanceof WarehouseError && error.code === 'WAREHOUSE_CONFLICT';
        if (!conflict || attempt >= TRANSACTION_ATTEMPTS) throw error;
        await delay(CONFLICT_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
      }
    }
  }

  private async transactionOnce<T>(work: (tx: StatementRunner) => Promise<T>): Promise<T> {
    const writes: CompiledQuery[] = [];
    let result: T;
    try {
      result = await work({
        execute: <R extends Row>(query: CompiledQuery) => {
          if (READ.test(query.sql)) throw new ReadsInTransaction();
          writes.push(query);
          return Promise.resolve([] as R[]);
        },
      });
    } catch (error) {
      if (error instanceof ReadsInTransaction) return this.sessionTransaction(work);
      throw error;
    }
    if (writes.length > 0) {
      const script = transactionScript(writes);
      await this.execute({ ...CompiledQuery.raw(script.sql), parameters: [] }, { named: script.parameters });
    }
    return result;
  }

  private async sessionTransaction<T>(work: (tx: StatementRunner) => Promise<T>): Promise<T> {
    let sessionId: string | undefined;
    await this.execute(CompiledQuery.raw('BEGIN TRANSACTION'), { onSession: (id) => (sessionId = id) });
    if (sessionId === undefined) throw new Error('BigQuery opened no session for the transaction');
    const inSession: QueryOptions = { sessionId };
    try {
      const result = await work({
        execute: <R extends Row>(query: CompiledQuery) => this.execute<R>(query, inSession),
      });
      await this.execute(CompiledQuery.raw('COMMIT TRANSACTION'), inSession);
      return result;
    } catch (error) {
      // A failed statement may have ended the transaction already; the statement's error is the one to report.
      await this.execute(CompiledQuery.raw('ROLLBACK TRANSACTION'), inSession).catch(() => undefined);
      throw error;
    } finally {
      await this.execute(CompiledQuery.raw('CALL BQ.ABORT_SESSION()'), inSession).catch(() => undefined);
    }
  }

  async close(): Promise<void> {}

  private translate(error: unknown): unknown {
    return describeBigQueryError(error, this.context);
  }
}
