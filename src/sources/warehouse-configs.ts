import type { z } from 'zod';
import { bigqueryConfig, bigqueryWarehouseSchema } from './bigquery/bigquery-config.js';
import { duckdbConfig, duckdbWarehouseSchema, type DuckDbWarehouseConfig } from './duckdb/duckdb-config.js';
import { postgresConfig, postgresWarehouseSchema } from './postgres/postgres-config.js';
import { snowflakeConfig, snowflakeWarehouseSchema } from './snowflake/snowflake-config.js';
import type { WarehouseConfigModule } from './warehouse-config-module.js';

/**
 * The registry of warehouse config modules: the one file of the config side that knows every warehouse
 * type, as create-source.ts is on the adapter side. src/config imports warehouse config only from here,
 * and this file imports only the vendors' pure `*-config.ts` modules (zod and node built-ins): never an
 * adapter or an SDK. Adding a warehouse adds its folder, a line here and a case in create-source.ts.
 */

/** The `warehouse:` mapping of each type, in the order the docs and `init` list them. */
export const WAREHOUSE_SCHEMAS = [
  duckdbWarehouseSchema,
  postgresWarehouseSchema,
  bigqueryWarehouseSchema,
  snowflakeWarehouseSchema,
] as const;

/** A parsed `warehouse:` mapping of any type. */
export type AnyWarehouseConfig = z.output<(typeof WAREHOUSE_SCHEMAS)[number]>;

/** A `warehouse:` mapping as the config loader resolved it, with what it derives (DuckDB's catalog name). */
export type ResolvedWarehouseConfig = DuckDbWarehouseConfig | Exclude<AnyWarehouseConfig, { type: 'duckdb' }>;

type WarehouseType = AnyWarehouseConfig['type'];

const MODULES: { [T in WarehouseType]: WarehouseConfigModule<Extract<AnyWarehouseConfig, { type: T }>> } = {
  duckdb: duckdbConfig,
  postgres: postgresConfig,
  bigquery: bigqueryConfig,
  snowflake: snowflakeConfig,
};

/** The config module of a warehouse's type. */
export function warehouseConfigModule(
  warehouse: Pick<AnyWarehouseConfig, 'type'>,
): WarehouseConfigModule<AnyWarehouseConfig> {
  return MODULES[warehouse.type];
}

export { urlHasPassword, type SecretKey } from './warehouse-config-module.js';
