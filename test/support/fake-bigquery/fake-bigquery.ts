import { randomUUID, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { bigqueryStatementType, bigqueryType, fromDuckDbValue } from './duckdb-to-bigquery.js';
import { rewriteSql, splitStatements } from './rewrite-sql.js';

/** A job as the fake ran it, for assertions. */
export interface FakeJob {
  jobId: string;
  /** The GoogleSQL received, before the rewrite. */
  sql: string;
  parameters: unknown[];
  sessionId: string | undefined;
  labels: Record<string, string> | undefined;
  maximumBytesBilled: string | undefined;
  /** `OPTIONS (…)` clauses the rewrite removed. */
  options: string[];
  bytesProcessed: number;
  bytesBilled: number;
  cancelled: boolean;
}

/** An error as BigQuery's REST API returns it: HTTP status, `errors[0].reason`, message. */
export interface FakeError {
  status: number;
  reason: string;
  message: string;
}

interface JobState {
  job: FakeJob;
  location: string;
  fields: { name: string; type: string; mode: string }[];
  rows: { f: { v: unknown }[] }[];
  affected: number | undefined;
  /** getQueryResults calls left that answer `jobComplete: false`. */
  pendingPolls: number;
  error: FakeError | undefined;
}

const BASE = '/bigquery/v2/projects/';
/** A comment that makes a job never complete: a query that runs far longer than any test waits. */
export const FAKE_HOLD_MARK = 'fake-bigquery: never completes';
const MIB = 1024 * 1024;

/**
 * A local stand-in for the BigQuery REST API over loopback, reached by the real @google-cloud/bigquery
 * SDK (`apiEndpoint: 'http://127.0.0.1:PORT'`). It serves what cohort-sync calls — jobs.query
 * (`POST …/queries`, with sessions), jobs.getQueryResults (`GET …/queries/{jobId}`, paged with pageToken,
 * `jobComplete: false` while a job is "running"), jobs.insert for dry runs, jobs.get and jobs.cancel — and
 * executes each statement on an in-process DuckDB after the rewrite in rewrite-sql.ts. Errors come back in
 * BigQuery's JSON error shape. Bytes processed are made up but deterministic (8 per row read or written);
 * bytes billed follow BigQuery's rounding (whole MiB, at least 10 MiB for a job that processed any).
 */
export class FakeBigQuery {
  readonly project: string;
  readonly jobs: FakeJob[] = [];
  /** Rows per result page when the request does not ask for fewer. */
  pageRows = 1000;
  /** Every job answers `jobComplete: false` this many times before its result. */
  pendingPolls = 0;
  /** Requests refused for a missing or wrong bearer token. */
  unauthorized = 0;
  private readonly faults: { match: RegExp; error: FakeError }[] = [];
  private holds: { match: RegExp; held: JobState[] }[] = [];
  private readonly states = new Map<string, JobState>();
  private readonly sessions = new Map<string, DuckDBConnection>();
  /** Sessions inside a transaction, with the tables the transaction updated or deleted rows of. */
  private readonly transactions = new Map<string, { start: number; tables: Set<string> }>();
  /** A logical clock of commits that updated or deleted rows, and the last such commit per table. */
  private clock = 0;
  private readonly versions = new Map<string, number>();
  /** Transactions cancelled for a concurrent update, as BigQuery does. */
  conflicts = 0;
  /** Called when a transaction is cancelled for a concurrent update. */
  onConflict: (() => void) | undefined;

  private constructor(
    private readonly server: Server,
    private readonly database: DuckDBInstance,
    readonly url: string,
    project: string,
    private readonly auth: { token?: string; publicKey?: KeyObject },
  ) {
    this.project = project;
  }

  /**
   * Starts the fake on a free loopback port. Requests must carry `Bearer <token>`, or a JWT signed by
   * `publicKey`'s private key (a service account key file's self-signed token).
   */
  static async start(
    options: { project?: string; token?: string; publicKey?: KeyObject } = {},
  ): Promise<FakeBigQuery> {
    const database = await DuckDBInstance.create(':memory:');
    const handlers: { fake?: FakeBigQuery } = {};
    const server = createServer((request, response) => {
      void handlers.fake?.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeBigQuery(
      server,
      database,
      `http://127.0.0.1:${port}`,
      options.project ?? 'fake-project',
      {
        token: options.token,
        publicKey: options.publicKey,
      },
    );
    handlers.fake = fake;
    return fake;
  }

  /**
   * Jobs whose SQL matches `match` answer `jobComplete: false` until the returned function is called, as
   * a long query would: a gate that holds a run at a known step.
   */
  hold(match: RegExp): () => void {
    const held: JobState[] = [];
    this.holds.push({ match, held });
    return () => {
      this.holds = this.holds.filter((hold) => hold.held !== held);
      for (const state of held) state.pendingPolls = 0;
    };
  }

  /** Sessions opened (createSession) and not yet ended (`CALL BQ.ABORT_SESSION()`). */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** The next job whose SQL matches fails with `error` (once). */
  failNext(match: RegExp, error: FakeError): void {
    this.faults.push({ match, error });
  }

  /** Runs GoogleSQL directly (test setup), through the same rewrite as jobs. */
  async exec(sql: string): Promise<void> {
    const connection = await this.database.connect();
    try {
      await connection.run(rewriteSql(sql, this.project).sql);
    } finally {
      connection.closeSync();
    }
  }

  async stop(): Promise<void> {
    for (const session of this.sessions.values()) session.closeSync();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.database.closeSync();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      response.end(JSON.stringify(body));
    };
    try {
      if (!this.authorized(request.headers.authorization)) {
        this.unauthorized++;
        return send(
          401,
          errorBody({
            status: 401,
            reason: 'authError',
            message: 'Request had invalid authentication credentials.',
          }),
        );
      }
      const body = request.method === 'POST' ? await readJson(request) : {};
      const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length).split('/').slice(1) : [];
      const [collection, id, action] = path.map(decodeURIComponent);
      if (request.method === 'POST' && collection === 'queries' && id === undefined)
        return send(200, await this.query(body as QueryRequest));
      if (request.method === 'GET' && collection === 'queries' && id !== undefined)
        return send(200, await this.results(id, url.searchParams));
      if (request.method === 'POST' && collection === 'jobs' && id === undefined)
        return send(200, await this.dryRun(body as DryRunRequest));
      if (request.method === 'GET' && collection === 'jobs' && id !== undefined && action === undefined)
        return send(200, this.jobResource(this.state(id)));
      if (request.method === 'POST' && collection === 'jobs' && id !== undefined && action === 'cancel') {
        const state = this.state(id);
        state.job.cancelled = true;
        state.error = { status: 400, reason: 'stopped', message: `Job ${id} was cancelled` };
        state.pendingPolls = 0;
        return send(200, { kind: 'bigquery#jobCancelResponse', job: this.jobResource(state) });
      }
      send(
        404,
        errorBody({
          status: 404,
          reason: 'notFound',
          message: `Not found: ${request.method} ${url.pathname}`,
        }),
      );
    } catch (error) {
      const fault = error instanceof FaultError ? error.fault : undefined;
      send(
        fault?.status ?? 500,
        errorBody(fault ?? { status: 500, reason: 'internalError', message: String(error) }),
      );
    }
  }

  private authorized(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (token === undefined) return false;
    if (this.auth.token !== undefined && token === this.auth.token) return true;
    if (this.auth.publicKey === undefined) return false;
    const [head, payload, signature] = token.split('.');
    if (!head || !payload || !signature) return false;
    return verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${payload}`),
      this.auth.publicKey,
      Buffer.from(signature, 'base64url'),
    );
  }

  private async query(request: QueryRequest): Promise<unknown> {
    let sessionId = request.connectionProperties?.find((p) => p.key === 'session_id')?.value;
    if (request.createSession) {
      sessionId = randomUUID();
      this.sessions.set(sessionId, await this.database.connect());
    }
    const state = await this.runJob(request, sessionId);
    if (state.error && state.pendingPolls === 0) throw new FaultError(state.error);
    const answer =
      state.pendingPolls > 0 ? this.pending(state) : this.page(state, 0, request.maxResults, true);
    return request.createSession ? { ...answer, sessionInfo: { sessionId } } : answer;
  }

  private async runJob(request: QueryRequest, sessionId: string | undefined): Promise<JobState> {
    let rewritten: ReturnType<typeof rewriteSql> = { sql: '', options: [] };
    let rewriteError: Error | undefined;
    try {
      rewritten = rewriteSql(request.query, this.project);
    } catch (error) {
      rewriteError = error as Error;
    }
    const { sql, options } = rewritten;
    const parameters = (request.queryParameters ?? []).map(parameterValue);
    const named = Object.fromEntries(
      (request.queryParameters ?? []).flatMap((parameter, index) =>
        parameter.name === undefined ? [] : [[parameter.name, parameters[index]]],
      ),
    );
    const job: FakeJob = {
      jobId: `job_${randomUUID().replace(/-/g, '')}`,
      sql: request.query,
      parameters,
      sessionId,
      labels: request.labels,
      maximumBytesBilled: request.maximumBytesBilled,
      options,
      bytesProcessed: 0,
      bytesBilled: 0,
      cancelled: false,
    };
    this.jobs.push(job);
    const state: JobState = {
      job,
      location: request.location ?? 'US',
      fields: [],
      rows: [],
      affected: undefined,
      pendingPolls: this.pendingPolls,
      error: undefined,
    };
    this.states.set(job.jobId, state);
    if (request.query.includes(FAKE_HOLD_MARK)) state.pendingPolls = Number.POSITIVE_INFINITY;
    const hold = this.holds.find((candidate) => candidate.match.test(request.query));
    if (hold) {
      state.pendingPolls = Number.POSITIVE_INFINITY;
      hold.held.push(state);
    }
    const faultIndex = this.faults.findIndex((fault) => fault.match.test(request.query));
    if (faultIndex >= 0) {
      state.error = this.faults.splice(faultIndex, 1)[0]!.error;
      return state;
    }
    try {
      if (rewriteError) throw rewriteError;
      const statements = splitStatements(sql);
      if (statements.length > 1) await this.executeScript(state, statements, named);
      else await this.execute(state, sql, parameters, sessionId);
    } catch (error) {
      state.error = { status: 400, reason: 'invalidQuery', message: duckDbMessage(error) };
    }
    return state;
  }

  private async execute(state: JobState, sql: string, parameters: unknown[], sessionId: string | undefined) {
    if (/^\s*CALL\s+BQ\.ABORT_SESSION\s*\(\s*\)\s*;?\s*$/i.test(sql)) {
      this.sessions.get(sessionId ?? '')?.closeSync();
      this.sessions.delete(sessionId ?? '');
      this.transactions.delete(sessionId ?? '');
      return;
    }
    const session = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    if (sessionId !== undefined && !session) throw new Error(`Session ${sessionId} not found or expired`);
    if (session && sessionId !== undefined) await this.trackTransaction(session, sessionId, state.job.sql);
    const outside = mutatedTable(state.job.sql);
    if (!session && outside !== undefined) this.changed(outside); // a DML job commits by itself
    const connection = session ?? (await this.database.connect());
    try {
      const reader = await connection.runAndReadAll(sql, parameters as never);
      const rows = reader.getRows();
      const names = reader.columnNames();
      if (/^\s*(\(?\s*SELECT|WITH)\b/i.test(sql)) {
        const types = reader.columnTypes();
        state.fields = names.map((name, index) => ({
          name,
          type: bigqueryType(types[index]!),
          mode: 'NULLABLE',
        }));
        state.rows = rows.map((row) => ({ f: row.map((value) => ({ v: fromDuckDbValue(value) })) }));
      } else if (names.length === 1 && names[0] === 'Count' && rows.length === 1) {
        state.affected = Number(rows[0]![0]);
      }
    } finally {
      if (!session) connection.closeSync();
    }
    this.account(state);
  }

  /** Made-up but deterministic bytes: 8 per row read or written; billed per started MiB, at least 10 MiB. */
  private account(state: JobState): void {
    const touched = state.rows.length + (state.affected ?? 0);
    state.job.bytesProcessed = touched * 8;
    state.job.bytesBilled = touched === 0 ? 0 : Math.max(10 * MIB, Math.ceil((touched * 8) / MIB) * MIB);
  }

  /**
   * A multi-statement query, statement by statement on one connection; a failure rolls back an open
   * transaction, as BigQuery does for a script without an exception handler. Named parameters are bound
   * per statement (DuckDB refuses values a statement does not use).
   */
  private async executeScript(state: JobState, statements: string[], named: Record<string, unknown>) {
    const connection = await this.database.connect();
    const start = this.clock;
    const mutated = new Set<string>();
    try {
      for (const statement of statements) {
        const target = mutatedTable(statement);
        if (target !== undefined && this.conflicting(target, start, undefined)) throw this.conflict(target);
        if (target !== undefined) mutated.add(target);
        const used = Object.fromEntries(
          [...statement.matchAll(/\$(\w+)/g)].flatMap(([, name]) =>
            name !== undefined && name in named ? [[name, named[name]]] : [],
          ),
        );
        const reader = await connection.runAndReadAll(statement, used as never);
        const rows = reader.getRows();
        if (reader.columnNames()[0] === 'Count' && rows.length === 1)
          state.affected = (state.affected ?? 0) + Number(rows[0]![0]);
      }
    } catch (error) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      connection.closeSync();
    }
    for (const table of mutated) this.changed(table);
    this.account(state);
  }

  /**
   * BigQuery's rule for multi-statement transactions (snapshot isolation, first committer wins): one that
   * updates or deletes rows of a table another open transaction changed, or that a commit changed since it
   * began, is cancelled and rolled back. DuckDB alone would let both commit when they touch different rows.
   */
  private async trackTransaction(session: DuckDBConnection, sessionId: string, googleSql: string) {
    if (/^\s*BEGIN\s+TRANSACTION\b/i.test(googleSql))
      this.transactions.set(sessionId, { start: this.clock, tables: new Set() });
    const open = this.transactions.get(sessionId);
    if (/^\s*COMMIT\s+TRANSACTION\b/i.test(googleSql))
      for (const table of open?.tables ?? []) this.changed(table);
    if (/^\s*(COMMIT|ROLLBACK)\s+TRANSACTION\b/i.test(googleSql)) this.transactions.delete(sessionId);
    const target = mutatedTable(googleSql);
    if (!open || target === undefined) return;
    if (!this.conflicting(target, open.start, sessionId)) {
      open.tables.add(target);
      return;
    }
    this.transactions.delete(sessionId);
    await session.run('ROLLBACK');
    throw this.conflict(target);
  }

  /** Whether changing `table` now conflicts: another open transaction changed it, or a commit since `start`. */
  private conflicting(table: string, start: number, sessionId: string | undefined): boolean {
    const others = [...this.transactions].some(([id, open]) => id !== sessionId && open.tables.has(table));
    return others || (this.versions.get(table) ?? 0) > start;
  }

  private changed(table: string): void {
    this.versions.set(table, ++this.clock);
  }

  private conflict(table: string): Error {
    this.conflicts++;
    this.onConflict?.();
    return new Error(
      `Transaction is aborted due to concurrent update against table ${this.project}.${table}.`,
    );
  }

  private async results(jobId: string, query: URLSearchParams): Promise<unknown> {
    const state = this.state(jobId);
    if (state.pendingPolls > 0) {
      state.pendingPolls--;
      // BigQuery holds the call open up to timeoutMs while the job runs; a short wait keeps the client from spinning.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return this.pending(state);
    }
    if (state.error) throw new FaultError(state.error);
    const maxResults = query.has('maxResults') ? Number(query.get('maxResults')) : undefined;
    return this.page(state, Number(query.get('pageToken') ?? 0), maxResults, false);
  }

  private pending(state: JobState) {
    return {
      kind: 'bigquery#queryResponse',
      jobReference: { projectId: this.project, jobId: state.job.jobId, location: state.location },
      jobComplete: false,
    };
  }

  private page(state: JobState, offset: number, maxResults: number | undefined, fromQuery: boolean) {
    const size = Math.min(maxResults ?? this.pageRows, this.pageRows);
    const rows = state.rows.slice(offset, offset + size);
    const next = offset + size < state.rows.length ? String(offset + size) : undefined;
    return {
      kind: fromQuery ? 'bigquery#queryResponse' : 'bigquery#getQueryResultsResponse',
      jobReference: { projectId: this.project, jobId: state.job.jobId, location: state.location },
      jobComplete: true,
      schema: { fields: state.fields },
      totalRows: String(state.rows.length),
      ...(rows.length > 0 ? { rows } : {}),
      ...(next !== undefined ? { pageToken: next } : {}),
      ...(state.affected !== undefined ? { numDmlAffectedRows: String(state.affected) } : {}),
      totalBytesProcessed: String(state.job.bytesProcessed),
      // jobs.query reports billed bytes; jobs.getQueryResults does not (the client asks jobs.get).
      ...(fromQuery ? { totalBytesBilled: String(state.job.bytesBilled) } : {}),
      cacheHit: false,
    };
  }

  private async dryRun(request: DryRunRequest): Promise<unknown> {
    const query = request.configuration?.query?.query ?? '';
    if (!request.configuration?.dryRun)
      throw new FaultError({
        status: 400,
        reason: 'invalid',
        message: 'the fake runs jobs.insert for dry runs only',
      });
    const connection = await this.database.connect();
    try {
      const sql = rewriteSql(query, this.project).sql;
      // BigQuery dry-runs a script of several statements as a whole: statementType SCRIPT, no schema.
      if (splitStatements(sql).length > 1) return this.dryRunJob(request, query, 'SCRIPT', undefined);
      const prepared = await connection.prepare(sql);
      const fields = [];
      for (let index = 0; index < prepared.columnCount; index++)
        fields.push({
          name: prepared.columnName(index),
          type: bigqueryType(prepared.columnType(index)),
          mode: 'NULLABLE',
        });
      return this.dryRunJob(request, query, bigqueryStatementType(prepared.statementType), { fields });
    } catch (error) {
      throw new FaultError({ status: 400, reason: 'invalidQuery', message: duckDbMessage(error) });
    } finally {
      connection.closeSync();
    }
  }

  /** A dry run's job resource: `statistics.query` with the statement type and, for a query, its schema. */
  private dryRunJob(request: DryRunRequest, query: string, statementType: string, schema: unknown) {
    return {
      kind: 'bigquery#job',
      configuration: { dryRun: true, query: { query } },
      jobReference: { projectId: this.project, location: request.jobReference?.location },
      status: { state: 'DONE' },
      statistics: {
        totalBytesProcessed: '0',
        query: {
          totalBytesProcessed: '0',
          totalBytesBilled: '0',
          statementType,
          ...(schema === undefined ? {} : { schema }),
        },
      },
    };
  }

  private jobResource(state: JobState) {
    return {
      kind: 'bigquery#job',
      id: `${this.project}:${state.location}.${state.job.jobId}`,
      jobReference: { projectId: this.project, jobId: state.job.jobId, location: state.location },
      status: state.pendingPolls > 0 ? { state: 'RUNNING' } : { state: 'DONE' },
      statistics: {
        totalBytesProcessed: String(state.job.bytesProcessed),
        query: {
          totalBytesProcessed: String(state.job.bytesProcessed),
          totalBytesBilled: String(state.job.bytesBilled),
        },
      },
    };
  }

  private state(jobId: string): JobState {
    const state = this.states.get(jobId);
    if (!state)
      throw new FaultError({
        status: 404,
        reason: 'notFound',
        message: `Not found: Job ${this.project}:${jobId}`,
      });
    return state;
  }
}

interface QueryRequest {
  query: string;
  queryParameters?: { name?: string; parameterType: { type: string }; parameterValue: { value: string } }[];
  createSession?: boolean;
  connectionProperties?: { key: string; value: string }[];
  maxResults?: number;
  location?: string;
  labels?: Record<string, string>;
  maximumBytesBilled?: string;
}

interface DryRunRequest {
  configuration?: { dryRun?: boolean; query?: { query?: string } };
  jobReference?: { location?: string };
}

class FaultError extends Error {
  constructor(readonly fault: FakeError) {
    super(fault.message);
  }
}

/** The table an UPDATE, DELETE or MERGE changes rows of, without quotes; undefined for other statements. */
function mutatedTable(sql: string): string | undefined {
  return /^\s*(?:UPDATE|DELETE\s+FROM|DELETE|MERGE\s+INTO|MERGE)\s+((?:`[^`]+`|"[^"]+"|[\w-]+)(?:\.(?:`[^`]+`|"[^"]+"|[\w-]+))*)/i
    .exec(sql)?.[1]
    ?.replace(/[`"]/g, '');
}

function errorBody(error: FakeError) {
  return {
    error: {
      code: error.status,
      message: error.message,
      errors: [{ message: error.message, domain: 'global', reason: error.reason }],
      status:
        error.status === 401
          ? 'UNAUTHENTICATED'
          : error.status === 403
            ? 'PERMISSION_DENIED'
            : 'INVALID_ARGUMENT',
    },
  };
}

function parameterValue(parameter: {
  parameterType: { type: string };
  parameterValue: { value: string };
}): unknown {
  const { value } = parameter.parameterValue;
  switch (parameter.parameterType.type) {
    case 'INT64':
      return Number.isSafeInteger(Number(value)) ? Number(value) : BigInt(value);
    case 'FLOAT64':
      return Number(value);
    case 'BOOL':
      return value === 'true';
    default:
      return value;
  }
}

/** DuckDB's first line, as BigQuery words a syntax or semantic error (with a position where DuckDB gives one). */
function duckDbMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}
