import {
  PostgresDialect,
  PostgresQueryCompiler,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  type QueryCompiler,
} from 'kysely';
import type pg from 'pg';

/**
 * kysely's PostgresDialect with two guarantees for SQL that embeds user text:
 * - every statement goes through the extended query protocol, which runs exactly one statement: an
 *   audience query that closes its parenthesis and appends `; DELETE …` is refused by the server instead
 *   of committing the DELETE (pg uses the simple protocol, which runs every statement of the text, for any
 *   query without parameters);
 * - string literals stay literals whatever the session's `standard_conforming_strings`
 *   ({@link PostgresLiteralCompiler}).
 */
export class SingleStatementPostgresDialect extends PostgresDialect {
  constructor(pool: pg.Pool) {
    super({ pool: singleStatementPool(pool) });
  }

  override createQueryCompiler(): QueryCompiler {
    return new PostgresLiteralCompiler();
  }
}

/**
 * A query for pg that is sent through the extended protocol, with or without parameters (pg 8.12+ reads
 * `queryMode`; @types/pg does not declare it yet). `values: []` alone is not enough: pg sends a query
 * without values through the simple protocol.
 */
export function singleStatement(text: string, values: readonly unknown[] = []): pg.QueryConfig {
  const query: pg.QueryConfig & { queryMode: 'extended' } = {
    text,
    values: [...values],
    queryMode: 'extended',
  };
  return query;
}

/**
 * Compiles string literals so that a backslash in them is never an escape: with
 * `standard_conforming_strings = off` (a server, database or role setting), `'a\'` does not end at its
 * second quote, and a literal taken from config (an alias label) could end the string early. A literal
 * holding a backslash is written as an escape string, `E'a\\'`, read the same under either setting.
 */
export class PostgresLiteralCompiler extends PostgresQueryCompiler {
  protected override appendStringLiteral(value: string): void {
    if (!value.includes('\\')) return super.appendStringLiteral(value);
    this.append(`E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`);
  }
}

/** The pool as kysely sees it, each client's queries sent as {@link singleStatement}s. */
function singleStatementPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => new SingleStatementClient(await pool.connect()),
    end: () => pool.end(),
  };
}

class SingleStatementClient implements PostgresPoolClient {
  constructor(private readonly client: pg.PoolClient) {}

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    query: string | PostgresCursor<R>,
    parameters: readonly unknown[] = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // PostgresSource streams through pg-cursor itself (always the extended protocol), never through kysely.
    if (typeof query !== 'string') throw new Error('stream through Source.stream()');
    return this.client.query(singleStatement(query, parameters)).then((result) => ({
      command: result.command as PostgresQueryResult<R>['command'],
      rowCount: result.rowCount ?? 0,
      rows: result.rows as R[],
    }));
  }

  release(): void {
    this.client.release();
  }
}
