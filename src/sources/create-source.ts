import type { WarehouseConfig } from '../config/types.js';
import { DuckDbSource } from './duckdb/duckdb-source.js';
import { PostgresSource } from './postgres/postgres-source.js';
import type { Source } from './source.js';

/** Opens the configured warehouse. The only module that knows the concrete adapters. */
export async function createSource(warehouse: WarehouseConfig): Promise<Source> {
  switch (warehouse.type) {
    case 'duckdb':
      return DuckDbSource.open({
        path: warehouse.path,
        memoryLimit: warehouse.memory_limit,
        threads: warehouse.threads,
      });
    case 'postgres':
      return PostgresSource.open(warehouse);
  }
}
