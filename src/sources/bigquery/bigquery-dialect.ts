import {
  DialectAdapterBase,
  type CompiledQuery,
  type DefaultQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { BigQueryQueryCompiler } from './bigquery-query-compiler.js';

/** Runs one compiled statement and returns its rows as objects. */
export type RunStatement = (query: CompiledQuery) => Promise<Record<string, unknown>[]>;

/**
 * A thin kysely dialect for BigQuery: its own query compiler, an adapter declaring what BigQuery lacks,
 * and a driver that hands each statement to the source's job runner. Transactions and streaming go
 * through the Source interface (bigquery-source.ts), never through kysely.
 */
export class BigQueryDialect implements Dialect {
  constructor(private readonly run: RunStatement) {}

  createAdapter() {
    return new BigQueryAdapter();
  }

  createDriver(): Driver {
    return new BigQueryDriver(this.run);
  }

  createQueryCompiler(): DefaultQueryCompiler {
    return new BigQueryQueryCompiler();
  }

  createIntrospector(): never {
    throw new Error('BigQuery introspection is not supported');
  }
}

class BigQueryAdapter extends DialectAdapterBase {
  /** Multi-statement transactions may not create or drop permanent tables. */
  override get supportsTransactionalDdl(): boolean {
    return false;
  }

  override get supportsReturning(): boolean {
    return false;
  }

  async acquireMigrationLock(_db: Kysely<unknown>): Promise<void> {}

  async releaseMigrationLock(_db: Kysely<unknown>): Promise<void> {}
}

class BigQueryDriver implements Driver {
  constructor(private readonly run: RunStatement) {}

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    const run = this.run;
    return Promise.resolve({
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        return { rows: (await run(query)) as R[] };
      },
      streamQuery(): never {
        throw new Error('stream through Source.stream()');
      },
    });
  }

  beginTransaction(): Promise<void> {
    return Promise.reject(new Error('BigQuery transactions go through Source.transaction()'));
  }

  async commitTransaction(): Promise<void> {}

  async rollbackTransaction(): Promise<void> {}

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}
