import path from 'node:path';
import { z } from 'zod';
import type { WarehouseConfigModule } from '../warehouse-config-module.js';
import { duckdbPathProblem } from './duckdb-path.js';

/** The in-memory database attached to every instance for per-run stage tables (see SqlCapabilities.stageSchema). */
export const DUCKDB_STAGE_CATALOG = 'cohort_sync_stage';

/** The `warehouse:` mapping of `type: duckdb`, declared with its descriptions (user documentation). */
export const duckdbWarehouseSchema = z.strictObject({
  type: z.literal('duckdb').describe('Embedded DuckDB: nothing to install; the database is one file.'),
  path: z
    .string()
    .min(1)
    .describe('DuckDB database file, relative to this config file; `:memory:` for a throwaway database.'),
  memory_limit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 512MB or 2GiB')
    .optional()
    .describe(
      "DuckDB's memory_limit, e.g. `256MB`: DuckDB runs inside cohort-sync, so this bounds the process; past it DuckDB spills to disk. Default: DuckDB's own (80% of RAM).",
    ),
  threads: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("DuckDB's worker threads. Default: DuckDB's own (one per core)."),
});

export type DuckDbWarehouseConfig = z.output<typeof duckdbWarehouseSchema>;

/** Names DuckDB resolves before schemas of the database file: catalogs, and schemas of its own. */
const RESERVED: Record<string, string> = {
  information_schema: "is DuckDB's catalog of metadata views",
  pg_catalog: "is DuckDB's PostgreSQL-compatible system schema",
  temp: "is DuckDB's catalog of temporary tables, which vanish when the process ends",
  system: "is DuckDB's catalog of built-in functions and views",
  memory: 'is the name DuckDB gives an in-memory database, so references to it would be ambiguous',
  [DUCKDB_STAGE_CATALOG]: "is where cohort-sync keeps each run's stage tables, dropped after the run",
};

/** DuckDB's part of the config: the embedded database file. */
export const duckdbConfig = {
  secretKeys: () => [],
  rules: () => [],
  reservedSchema: (name) => RESERVED[name.toLowerCase()],
  resolve: (warehouse, baseDir) =>
    warehouse.path === ':memory:' ? warehouse : { ...warehouse, path: path.resolve(baseDir, warehouse.path) },
  async check(warehouse) {
    // A folder this user may not read is left to the open, which names it: who validates may not be who runs.
    const problem = await duckdbPathProblem(warehouse.path).catch(() => undefined);
    return problem === undefined ? [] : [{ path: 'warehouse.path', message: `${warehouse.path} ${problem}` }];
  },
} satisfies WarehouseConfigModule<DuckDbWarehouseConfig>;
