import type { Column, Connection, ConnectionOptions, RowStatement, StatementOption } from 'snowflake-sdk';
import type { Row } from '../source.js';
import { keepingProcessAlive } from './keep-alive.js';
import type { Sdk } from './load-snowflake-sdk.js';

/** One statement for a session: SQL with `?` placeholders, its values, and session parameters for it alone. */
export interface StatementRequest {
  sql: string;
  binds: readonly unknown[];
  /** Applied to this statement only (QUERY_TAG, STATEMENT_TIMEOUT_IN_SECONDS). */
  parameters: Record<string, string | number>;
}

/** A result column as Snowflake describes it (the rowtype of a result). */
export interface ResultColumn {
  name: string;
  /** Snowflake's type family: `text`, `fixed`, `real`, `boolean`, `date`, `timestamp_tz`, `variant`, … */
  type: string;
  precision: number;
  scale: number;
}

/** Rows of a streamed result: its columns, and the rows in select-list order as they arrive. */
export interface RowStream {
  columns: ResultColumn[];
  rows: AsyncIterable<unknown[]>;
  /** Stops reading (the rest of the result is not fetched). */
  stop(): void;
}

/**
 * One Snowflake session: an SDK connection. Results are always streamed from the SDK (`streamResult`),
 * a row at a time, with numbers fetched as text so that integers stay exact (see {@link toJs}).
 */
export class SnowflakeSession {
  private constructor(private readonly connection: Connection) {}

  /**
   * Logs in; rejects with the SDK's error when the login is refused, or with a {@link LoginTimeoutError}
   * when Snowflake did not answer within `timeoutMs` (the SDK would go on retrying for minutes).
   */
  static async open(sdk: Sdk, options: ConnectionOptions, timeoutMs: number): Promise<SnowflakeSession> {
    const connection = sdk.createConnection(options);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        connection.destroy(() => undefined);
        reject(new LoginTimeoutError(timeoutMs));
      }, timeoutMs);
    });
    // connect(), not connectAsync(): the latter resolves even when the login was refused.
    const login = new Promise<void>((resolve, reject) =>
      connection.connect((error) => (error ? reject(error) : resolve())),
    );
    try {
      await keepingProcessAlive(() => Promise.race([login, deadline]));
    } finally {
      clearTimeout(timer);
    }
    return new SnowflakeSession(connection);
  }

  /** Whether the SDK still considers the session connected. */
  get up(): boolean {
    return this.connection.isUp();
  }

  /** Runs a statement and reads its result, each row an object keyed by lower-cased column name. */
  async run(request: StatementRequest): Promise<Row[]> {
    const result = await this.stream(request);
    const names = result.columns.map((column) => column.name.toLowerCase());
    const rows: Row[] = [];
    for await (const values of result.rows) {
      const row: Row = {};
      names.forEach((name, index) => {
        if (!(name in row)) row[name] = values[index];
      });
      rows.push(row);
    }
    return rows;
  }

  /** Runs a statement; its rows are fetched as the consumer reads them, never all at once. */
  async stream(request: StatementRequest): Promise<RowStream> {
    const statement = await this.submit(request, {});
    const columns = describe(statement.getColumns() ?? []);
    const convert = columns.map(converterFor);
    const source = statement.streamRows();
    const iterator = (source as AsyncIterable<unknown[]>)[Symbol.asyncIterator]();
    async function* rows(): AsyncIterable<unknown[]> {
      for (;;) {
        const next = await keepingProcessAlive(() => iterator.next());
        if (next.done) return;
        yield next.value.map((value, index) => (value === null ? null : convert[index]!(value)));
      }
    }
    return { columns, rows: rows(), stop: () => source.destroy() };
  }

  /** The columns a statement would return, from Snowflake's compiler alone (`describeOnly`): nothing runs. */
  async describe(request: StatementRequest): Promise<ResultColumn[]> {
    const statement = await this.submit(request, { describeOnly: true });
    return describe(statement.getColumns() ?? []);
  }

  /** Ends the session on the server; never throws (a session already gone is ended). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }

  private submit(request: StatementRequest, options: Partial<StatementOption>): Promise<RowStatement> {
    return keepingProcessAlive(() => this.execute(request, options));
  }

  private execute(request: StatementRequest, options: Partial<StatementOption>): Promise<RowStatement> {
    return new Promise((resolve, reject) => {
      this.connection.execute({
        sqlText: request.sql,
        binds: request.binds.map(toBind),
        parameters: request.parameters,
        streamResult: true,
        rowMode: 'array',
        fetchAsString: ['Number'],
        ...options,
        complete: (error, statement) => (error ? reject(error) : resolve(statement)),
      });
    });
  }
}

/** Snowflake did not answer a login in time. */
export class LoginTimeoutError extends Error {
  readonly code = 'LOGIN_TIMEOUT';

  constructor(readonly timeoutMs: number) {
    super(`no answer to the login within ${timeoutMs / 1000} s`);
  }
}

function describe(columns: Column[]): ResultColumn[] {
  return columns.map((column) => ({
    name: column.getName(),
    type: column.getType(),
    precision: column.getPrecision(),
    scale: column.getScale(),
  }));
}

/** Values kysely compiled as parameters, as the SDK binds them (strings, numbers, booleans, NULL). */
function toBind(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

type Converter = (value: unknown) => unknown;

/**
 * How a column's SDK values become plain JS, as the other sources return them: whole numbers as numbers
 * when exact and as decimal text past 2^53 (they arrive as text: fetchAsString), other numbers as numbers,
 * timestamps and dates as plain Dates (the SDK's carry a toJSON that prints Snowflake's own format).
 */
function converterFor(column: ResultColumn): Converter {
  if (column.type === 'fixed' && column.scale === 0) return toInteger;
  if (column.type === 'fixed' || column.type === 'real') return Number;
  if (column.type === 'date' || column.type.startsWith('timestamp')) return toDate;
  return (value) => value;
}

function toInteger(value: unknown): unknown {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : String(value);
}

function toDate(value: unknown): unknown {
  return value instanceof Date ? new Date(value.getTime()) : value;
}
