import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import type { WarehouseConfig } from '../../src/config/types.js';
import { createSource } from '../../src/sources/create-source.js';
import type { Row } from '../../src/sources/source.js';

/** One isolated warehouse for one test: its config, and a way to run setup SQL in it. */
export interface TestWarehouse {
  /** The `warehouse:` mapping of a config file, as YAML flow text. */
  yaml: string;
  config: WarehouseConfig;
  /** Schema for the state tables, unique to this test. */
  stateSchema: string;
  /** Runs statements (DDL/DML) and returns the last one's rows. */
  exec(...statements: string[]): Promise<Row[]>;
}

/** A warehouse engine the integration suite runs against, unchanged, as kysely's tests loop over dialects. */
export interface TestEngine {
  name: string;
  /** Whether the engine can be reached here; a skipped engine is announced, never silently passed. */
  available(): Promise<boolean>;
  isolate(dir: string): TestWarehouse;
  /**
   * Wraps a SELECT so that it returns the same rows but only after a long time (far more than a test
   * waits), so a crash test can kill a run while the warehouse is still staging the query result.
   */
  slowSelect(select: string): string;
  /** A SELECT of one column, external_id, with the values `user-<from>` … `user-<to>`. */
  userIds(from: number, to: number): string;
}

async function execWith(config: WarehouseConfig, statements: string[]): Promise<Row[]> {
  const source = await createSource(config);
  try {
    let rows: Row[] = [];
    for (const statement of statements) rows = await source.execute(sql.raw(statement).compile(source.db));
    return rows;
  } finally {
    await source.close();
  }
}

export const duckdbEngine: TestEngine = {
  name: 'duckdb',
  available: () => Promise.resolve(true),
  isolate(dir) {
    const config: WarehouseConfig = {
      type: 'duckdb',
      path: path.join(dir, `warehouse-${randomUUID().slice(0, 8)}.duckdb`),
    };
    return {
      yaml: `{ type: duckdb, path: ${config.path} }`,
      config,
      stateSchema: 'cohort_sync',
      exec: (...statements) => execWith(config, statements),
    };
  },
  // A trillion-row cross join behind an opaque filter: DuckDB cannot prune it, and it never finishes.
  userIds: (from, to) =>
    `SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM range(${from}, ${to + 1}) AS r(i)`,
  slowSelect: (select) =>
    `SELECT * FROM (${select}) AS q WHERE (SELECT COUNT(*) FROM range(1000000) AS r, range(1000000) AS s WHERE hash(r.range * s.range) = 0) >= 0`,
};

/** Engines of the shared integration suite. */
export const ENGINES: TestEngine[] = [duckdbEngine];
