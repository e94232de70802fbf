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

export type DuckDbWarehouseConfig = z.output<typeof duckdbWarehouseSchema> & {
  /**
   * The catalog name the file is attached as, set by the config loader when DuckDB's own would clash (see
   * {@link catalogFor}); not a key of the file. Default: DuckDB's own, the file's name.
   */
  readonly catalog?: string;
};

/** Catalogs every DuckDB instance of cohort-sync has, besides the database file's. */
const BUILT_IN_CATALOGS = ['temp', 'system', 'memory', DUCKDB_STAGE_CATALOG];

/**
 * The name to attach a database file as, when DuckDB's own is taken. DuckDB names a file's catalog after
 * the file up to its first dot (`cohort_sync.duckdb` is `cohort_sync`), and when that is also the name of
 * the state schema, `cohort_sync.sync_runs` could be either and DuckDB refuses it ("ambiguous reference");
 * a built-in catalog's name cannot be taken twice. Then the file is attached as `<name>_db`.
 */
function catalogFor(file: string, stateSchema: string): string | undefined {
  const name = path.basename(file).split('.')[0] ?? '';
  const taken = [stateSchema, ...BUILT_IN_CATALOGS].some(
    (other) => other.toLowerCase() === name.toLowerCase(),
  );
  return taken ? `${name}_db` : undefined;
}

/** Names DuckDB resolves before schemas of the database file: catalogs, and schemas of its own. */
const RESERVED: Record<string, string> = {
  information_schema: "is DuckDB's catalog of metadata views",
  pg_catalog: "is DuckDB's PostgreSQL-compatible system schema",
  temp: "is DuckDB's catalog of temporary tables, which vanish when the process ends",
  system: "is DuckDB's catalog of built-in functions and views",
  memory: 'is the name DuckDB gives an in-memory database, so references to it would be ambiguous',
  [DUCKDB_STAGE_CATALOG]: "is where cohort-sync keeps each run's stage tables, dropped after the run",
};

/** The path's problem; none when it cannot be told, such as a folder this user may not read (see check). */
function pathProblem(file: string): string | undefined {
  try {
    return duckdbPathProblem(file);
  } catch {
    // Left to the open, which names the path: who validates a config may not be who runs it.
    return undefined;
  }
}

/** DuckDB's part of the config: the embedded database file. */
export const duckdbConfig = {
  secretKeys: () => [],
  rules: () => [],
  reservedSchema: (name) => RESERVED[name.toLowerCase()],
  resolve(warehouse, baseDir, stateSchema) {
    if (warehouse.path === ':memory:') return warehouse;
    const file = path.resolve(baseDir, warehouse.path);
    const catalog = catalogFor(file, stateSchema);
    return { ...warehouse, path: file, ...(catalog === undefined ? {} : { catalog }) };
  },
  check(warehouse) {
    const problem = pathProblem(warehouse.path);
    return Promise.resolve(
      problem === undefined ? [] : [{ path: 'warehouse.path', message: `${warehouse.path} ${problem}` }],
    );
  },
} satisfies WarehouseConfigModule<DuckDbWarehouseConfig>;
