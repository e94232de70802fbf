import { randomUUID, verify, type KeyObject } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance, VARCHAR, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { Mutex } from '../../../src/sources/mutex.js';
import { rowTypeOf, wireValue, type RowType, type WireValue } from './result-set.js';
import { rewriteSql } from './rewrite-sql.js';
import { SNOWFLAKE_ERRORS, fromDuckDbError, type SnowflakeErrorShape } from './snowflake-errors.js';

/** A user the fake lets in: by password, or by key pair (the public key that verifies its login JWT). */
export interface FakeUser {
  password?: string;
  publicKey?: KeyObject;
}

export interface FakeSnowflakeOptions {
  /** Users by login name (case-insensitive). Default: `COHORT_SYNC` with password `test-password`. */
  users?: Record<string, FakeUser>;
  /** Warehouses that exist and run; a session using another gets Snowflake's 000606. Default: any. */
  warehouses?: readonly string[];
  /** Rows sent inline in a query response; the rest go in chunks. Default 100. */
  inlineRows?: number;
  /** Rows per result chunk. Default 1000. */
  chunkRows?: number;
  /** Answer every query "still running" (333334) first, so its result is fetched from getResultUrl. */
  asyncResults?: boolean;
  /**
   * The account's MULTI_STATEMENT_COUNT, for statements that do not set their own: 1 (Snowflake's default)
   * refuses a request of several statements with error 000008; 0 runs any number of them.
   */
  multiStatementCount?: number;
}

/** A statement the fake received, as Snowflake would log it in QUERY_HISTORY. */
export interface ReceivedStatement {
  sessionId: number;
  sql: string;
  /** The statement's session parameters (QUERY_TAG, STATEMENT_TIMEOUT_IN_SECONDS). */
  parameters: Record<string, unknown>;
  /** The bound values, in order. */
  binds: DuckDBValue[];
  describeOnly: boolean;
}

interface Session {
  id: number;
  token: string;
  warehouse: string | undefined;
  connection: DuckDBConnection;
  /** Held from BEGIN to COMMIT/ROLLBACK: other sessions' writes wait, as behind Snowflake's table locks. */
  releaseWrites: (() => void) | undefined;
  /** Result chunks of this session's queries, by query id. */
  chunks: Map<string, WireValue[][][]>;
}

interface Fault {
  match: RegExp;
  error: SnowflakeErrorShape;
  times: number;
}

/** SQL another client runs right after a statement: a concurrent writer, at a chosen moment. */
interface Interleaved {
  after: RegExp;
  sql: string;
}

type Body = Record<string, unknown>;

/** How long a GET of a running query's result waits before answering "still running" again. */
const LONG_POLL_MS = 2000;
const MAX_LOGGED = 20_000;

/**
 * A local stand-in for Snowflake's REST endpoints, reached by the real snowflake-sdk through
 * `accessUrl: 'http://127.0.0.1:PORT'`: login, query requests with binds and per-statement parameters,
 * describe-only queries, results inline and in chunks (`binary/octet-stream`, rows comma-joined without
 * the outer brackets), asynchronous results (code 333334 and `getResultUrl`), session delete, heartbeat
 * and telemetry. Statements run on an in-memory DuckDB after the rewrites in rewrite-sql.ts; each session
 * is a DuckDB connection. See README.md for what it does not imitate.
 */
export class FakeSnowflake {
  readonly statements: ReceivedStatement[] = [];
  /** Result chunks downloaded so far. */
  chunksServed = 0;
  /** Query responses that said "still running" (333334), inline or to a poll of getResultUrl. */
  stillRunningAnswers = 0;
  private readonly sessions = new Map<string, Session>();
  private readonly pending = new Map<string, Promise<Body>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly writes = new Mutex();
  private readonly faults: Fault[] = [];
  private readonly interleaved: Interleaved[] = [];
  private loginFault: SnowflakeErrorShape | undefined;
  private nextSession = 1;

  private constructor(
    private readonly server: http.Server,
    private readonly database: DuckDBInstance,
    private readonly options: FakeSnowflakeOptions,
  ) {}

  static async start(options: FakeSnowflakeOptions = {}): Promise<FakeSnowflake> {
    const database = await DuckDBInstance.create(':memory:');
    const server = http.createServer();
    const fake = new FakeSnowflake(server, database, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      // A bug of the fake answers as a Snowflake internal error: an HTTP 500 would make the SDK retry for minutes.
      fake.route(request, response).catch((error: unknown) => {
        json(
          response,
          failure({ code: '000603', sqlState: 'XX000', message: `fake Snowflake: ${String(error)}` }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The access URL to give the SDK. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sessions logged in and not yet deleted. */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** The next `times` statements whose SQL matches fail with `error`, before they run. */
  failStatements(match: RegExp, error: SnowflakeErrorShape, times = 1): void {
    this.faults.push({ match, error, times });
  }

  /**
   * Once, right after the next statement matching `after` ran (before its answer is sent), another client
   * runs `sql` (after the rewrites), committed at once: a concurrent writer at an exact moment.
   */
  runConcurrently(after: RegExp, sql: string): void {
    this.interleaved.push({ after, sql });
  }

  /** The next login fails with `error`. */
  failNextLogin(error: SnowflakeErrorShape): void {
    this.loginFault = error;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.sessions.values()) session.connection.closeSync();
    this.sessions.clear();
    this.database.closeSync();
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const body = await readBody(request);
    const path = url.pathname;
    if (request.method === 'POST' && path === '/session/v1/login-request') {
      return json(response, await this.login(body, url.searchParams));
    }
    const chunk = /^\/chunks\/([^/]+)\/(\d+)$/.exec(path);
    if (request.method === 'GET' && chunk) return this.sendChunk(response, chunk[1]!, Number(chunk[2]));
    const session = this.sessionOf(request);
    if (!session) {
      return json(
        response,
        failure({ code: '390111', sqlState: '08001', message: 'Session no longer exists.' }),
      );
    }
    if (request.method === 'POST' && path === '/queries/v1/query-request') {
      return json(response, await this.query(session, body));
    }
    const result = /^\/queries\/([^/]+)\/result$/.exec(path);
    if (request.method === 'GET' && result) return json(response, await this.awaitResult(result[1]!));
    if (request.method === 'POST' && path === '/session' && url.searchParams.get('delete') === 'true') {
      await this.endSession(session);
      return json(response, { success: true, code: null, message: null, data: null });
    }
    // Heartbeats, telemetry, query aborts: acknowledged.
    return json(response, { success: true, code: null, message: null, data: {} });
  }

  private async login(body: Body, query: URLSearchParams): Promise<Body> {
    const data = (body.data ?? {}) as Record<string, unknown>;
    const fault = this.loginFault;
    this.loginFault = undefined;
    if (fault) return failure(fault);
    const name = text(data.LOGIN_NAME).toUpperCase();
    const users = this.options.users ?? { COHORT_SYNC: { password: 'test-password' } };
    const user = Object.entries(users).find(([login]) => login.toUpperCase() === name)?.[1];
    if (!user || !authenticated(user, data, name)) return failure(SNOWFLAKE_ERRORS.badLogin);
    const session: Session = {
      id: this.nextSession++,
      token: `session-${randomUUID()}`,
      warehouse: query.get('warehouse') ?? undefined,
      connection: await this.database.connect(),
      releaseWrites: undefined,
      chunks: new Map(),
    };
    await session.connection.run("SET TimeZone = 'UTC'");
    this.sessions.set(session.token, session);
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token: session.token,
        masterToken: `master-${randomUUID()}`,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        sessionId: session.id,
        parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
        sessionInfo: {
          databaseName: query.get('databaseName'),
          schemaName: query.get('schemaName'),
          warehouseName: session.warehouse,
          roleName: query.get('roleName'),
        },
      },
    };
  }

  private async query(session: Session, body: Body): Promise<Body> {
    const sql = text(body.sqlText);
    const parameters = (body.parameters ?? {}) as Record<string, unknown>;
    const describeOnly = body.describeOnly === true;
    const binds = bindValues(body.bindings);
    const statement: ReceivedStatement = { sessionId: session.id, sql, parameters, binds, describeOnly };
    this.statements.push(statement);
    if (this.statements.length > MAX_LOGGED) this.statements.splice(0, this.statements.length - MAX_LOGGED);
    const queryId = randomUUID();
    const rewritten = rewriteSql(sql);
    const run = () => this.outcome(session, queryId, statement, rewritten.sql);
    // A describe-only statement is compiled, not run: SYSTEM$WAIT does not wait.
    if ((rewritten.waitSeconds === 0 || describeOnly) && !this.options.asyncResults) return run();

    const timeout = Number(parameters.STATEMENT_TIMEOUT_IN_SECONDS ?? 0);
    const timedOut = timeout > 0 && timeout < rewritten.waitSeconds;
    const delayMs = 1000 * (timedOut ? timeout : rewritten.waitSeconds);
    const result = new Promise<Body>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(timedOut ? failure(SNOWFLAKE_ERRORS.timeout(timeout), queryId) : run());
      }, delayMs);
      this.timers.add(timer);
    });
    this.pending.set(queryId, result);
    this.stillRunningAnswers++;
    return stillRunning(queryId);
  }

  /** A GET of getResultUrl: the result once the query finished, or "still running" after a long poll. */
  private async awaitResult(queryId: string): Promise<Body> {
    const result = this.pending.get(queryId);
    if (!result)
      return failure({ code: '000709', sqlState: '02000', message: `Statement ${queryId} not found` });
    let timer: NodeJS.Timeout | undefined;
    const poll = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), LONG_POLL_MS);
    });
    const answer = await Promise.race([result, poll]);
    clearTimeout(timer);
    if (answer === undefined) {
      this.stillRunningAnswers++;
      return stillRunning(queryId);
    }
    this.pending.delete(queryId);
    return answer;
  }

  /**
   * Snowflake's check of MULTI_STATEMENT_COUNT (the statement's, else the account's): a request holding
   * another number of statements than the count is refused before anything runs; 0 allows any number.
   */
  private async statementCountError(
    session: Session,
    sql: string,
    parameters: Record<string, unknown>,
  ): Promise<SnowflakeErrorShape | undefined> {
    const desired = Number(parameters.MULTI_STATEMENT_COUNT ?? this.options.multiStatementCount ?? 1);
    if (desired === 0 || !sql.includes(';')) return undefined;
    const actual = (await session.connection.extractStatements(sql)).count;
    return actual === desired ? undefined : SNOWFLAKE_ERRORS.statementCount(actual, desired);
  }

  /** Runs a statement (`sql`: as rewritten for DuckDB) and answers as Snowflake would: its result, or its error. */
  private async outcome(
    session: Session,
    queryId: string,
    { sql: received, parameters, binds, describeOnly }: ReceivedStatement,
    sql: string,
  ): Promise<Body> {
    if (!this.sessions.has(session.token))
      return failure({ code: '000604', sqlState: '57014', message: 'SQL execution canceled' }, queryId);
    const fault = this.faults.find((candidate) => candidate.match.test(received));
    if (fault) {
      fault.times--;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return failure(fault.error, queryId);
    }
    // Queries and DML need a running warehouse; DDL and transaction control are metadata operations.
    const warehouses = this.options.warehouses;
    const needsWarehouse = ['read', 'write'].includes(statementKind(sql)) && !describeOnly;
    if (
      needsWarehouse &&
      warehouses &&
      !warehouses.some((name) => name.toUpperCase() === session.warehouse?.toUpperCase())
    )
      return failure(SNOWFLAKE_ERRORS.noWarehouse, queryId);
    try {
      const miscount = await this.statementCountError(session, sql, parameters);
      if (miscount) return failure(miscount, queryId);
      if (describeOnly) return await this.described(queryId, session, sql);
      const result = await this.run(session, sql, binds);
      await this.runInterleaved(received);
      return this.resultBody(queryId, session, result);
    } catch (error) {
      return failure(fromDuckDbError(error), queryId);
    }
  }

  /**
   * Runs one statement on the session's connection. Writes outside a transaction wait for other
   * sessions' transactions, and DDL inside one commits it first, as in Snowflake.
   */
  private async run(session: Session, sql: string, binds: DuckDBValue[]): Promise<Result> {
    const kind = statementKind(sql);
    if (kind === 'begin') {
      if (!session.releaseWrites) session.releaseWrites = await this.writes.acquire();
      await session.connection.run('BEGIN TRANSACTION');
      return EMPTY;
    }
    if (kind === 'end') {
      try {
        if (session.releaseWrites) await session.connection.run(sql);
      } finally {
        this.endTransaction(session);
      }
      return EMPTY;
    }
    if (kind === 'ddl' && session.releaseWrites) {
      await session.connection.run('COMMIT');
      this.endTransaction(session);
    }
    if (kind === 'read' || session.releaseWrites) return read(session.connection, sql, binds);
    const release = await this.writes.acquire();
    try {
      return await read(session.connection, sql, binds);
    } finally {
      release();
    }
  }

  private async runInterleaved(sql: string): Promise<void> {
    const index = this.interleaved.findIndex((entry) => entry.after.test(sql));
    if (index < 0) return;
    const [entry] = this.interleaved.splice(index, 1);
    const connection = await this.database.connect();
    try {
      await connection.run(rewriteSql(entry!.sql).sql);
    } finally {
      connection.closeSync();
    }
  }

  private endTransaction(session: Session): void {
    session.releaseWrites?.();
    session.releaseWrites = undefined;
  }

  private async described(queryId: string, session: Session, sql: string): Promise<Body> {
    const prepared = await session.connection.prepare(sql);
    const rowtype: RowType[] = [];
    for (let index = 0; index < prepared.columnCount; index++)
      rowtype.push(rowTypeOf(prepared.columnName(index), prepared.columnType(index)));
    return this.resultBody(queryId, session, { rowtype, rows: [] });
  }

  private resultBody(queryId: string, session: Session, result: Result): Body {
    const inline = this.options.inlineRows ?? 100;
    const perChunk = this.options.chunkRows ?? 1000;
    const rowset = result.rows.slice(0, inline);
    const rest = result.rows.slice(inline);
    const chunks: WireValue[][][] = [];
    for (let start = 0; start < rest.length; start += perChunk)
      chunks.push(rest.slice(start, start + perChunk));
    if (chunks.length > 0) session.chunks.set(queryId, chunks);
    return {
      success: true,
      code: null,
      message: null,
      data: {
        queryId,
        rowtype: result.rowtype,
        rowset,
        total: result.rows.length,
        returned: result.rows.length,
        chunks: chunks.map((rows, index) => ({
          url: `${this.url}/chunks/${queryId}/${index}`,
          rowCount: rows.length,
          uncompressedSize: 0,
          compressedSize: 0,
        })),
        chunkHeaders: {},
        version: 1,
        parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
        queryResultFormat: 'json',
        statementTypeId: 4096,
        sqlState: '00000',
      },
    };
  }

  private sendChunk(response: ServerResponse, queryId: string, index: number): void {
    const rows = [...this.sessions.values()].map((s) => s.chunks.get(queryId)).find(Boolean)?.[index];
    if (!rows) {
      response.writeHead(404, { 'content-type': 'application/xml' });
      response.end('<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    this.chunksServed++;
    // Snowflake's chunk format: the rows of a JSON array, without the outer brackets.
    response.writeHead(200, { 'content-type': 'binary/octet-stream' });
    response.end(rows.map((row) => JSON.stringify(row)).join(','));
  }

  private async endSession(session: Session): Promise<void> {
    this.sessions.delete(session.token);
    if (session.releaseWrites) await session.connection.run('ROLLBACK').catch(() => undefined);
    this.endTransaction(session);
    session.connection.closeSync();
  }

  private sessionOf(request: IncomingMessage): Session | undefined {
    const token = /Snowflake Token="([^"]+)"/.exec(request.headers.authorization ?? '')?.[1];
    return token === undefined ? undefined : this.sessions.get(token);
  }
}

interface Result {
  rowtype: RowType[];
  rows: WireValue[][];
}

const EMPTY: Result = {
  rowtype: [rowTypeOf('status', VARCHAR)],
  rows: [['Statement executed successfully.']],
};

async function read(connection: DuckDBConnection, sql: string, binds: DuckDBValue[]): Promise<Result> {
  const reader = await connection.runAndReadAll(sql, binds);
  const types = reader.columnTypes();
  const rowtype = reader.columnNames().map((name, index) => rowTypeOf(name, types[index]!));
  const rows = reader.getRows().map((row) => row.map((value, index) => wireValue(value, rowtype[index]!)));
  return { rowtype, rows };
}

function statementKind(sql: string): 'begin' | 'end' | 'ddl' | 'read' | 'write' {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
  if (word === 'BEGIN' || word === 'START') return 'begin';
  if (word === 'COMMIT' || word === 'ROLLBACK') return 'end';
  if (['CREATE', 'DROP', 'ALTER', 'TRUNCATE'].includes(word)) return 'ddl';
  if (['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'VALUES'].includes(word)) return 'read';
  return 'write';
}

/** The SDK's `bindings` ({"1": {type, value}}) as DuckDB parameter values, in order. */
function bindValues(bindings: unknown): DuckDBValue[] {
  if (!bindings || typeof bindings !== 'object') return [];
  return Object.entries(bindings as Record<string, { type: string; value: string | null }>)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, bind]) => {
      if (bind.value === null) return null;
      if (bind.type === 'FIXED') return BigInt(bind.value);
      if (bind.type === 'REAL') return Number(bind.value);
      if (bind.type === 'BOOLEAN') return bind.value === 'true';
      return bind.value;
    });
}

/** Password login, or key-pair login: a JWT for ACCOUNT.USER signed with the user's private key. */
function authenticated(user: FakeUser, data: Record<string, unknown>, name: string): boolean {
  if (data.AUTHENTICATOR === 'SNOWFLAKE_JWT') {
    if (!user.publicKey) return false;
    const [header, payload, signature] = text(data.TOKEN).split('.');
    if (!header || !payload || !signature) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: string };
    const expected = `${text(data.ACCOUNT_NAME).toUpperCase()}.${name}`;
    return (
      claims.sub === expected &&
      verify(
        'RSA-SHA256',
        Buffer.from(`${header}.${payload}`),
        user.publicKey,
        Buffer.from(signature, 'base64url'),
      )
    );
  }
  return user.password !== undefined && data.PASSWORD === user.password;
}

function stillRunning(queryId: string): Body {
  return {
    success: true,
    code: '333334',
    message:
      'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.',
    data: { queryId, getResultUrl: `/queries/${queryId}/result` },
  };
}

function failure(error: SnowflakeErrorShape, queryId?: string): Body {
  return {
    success: false,
    code: error.code,
    message: error.message,
    data: { queryId, sqlState: error.sqlState, errorCode: error.code, internalError: false },
  };
}

function json(response: ServerResponse, body: Body): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Body> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  if (parts.length === 0) return {};
  let raw = Buffer.concat(parts);
  if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
  try {
    return JSON.parse(raw.toString('utf8')) as Body;
  } catch {
    return {};
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
