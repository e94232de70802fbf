import type { WarehouseConfig } from '../config/types.js';
import type { Source } from './source.js';

/**
 * Opens the configured warehouse. The only module that knows the concrete adapters; each is imported
 * when chosen, so a run pays the start-up cost of its own warehouse's driver only (cloud SDKs take
 * longer to load than a small sync takes to run).
 */
export async function createSource(warehouse: WarehouseConfig): Promise<Source> {
  switch (warehouse.type) {
    case 'duckdb': {
      const { DuckDbSource } = await import('./duckdb/duckdb-source.js');
      return DuckDbSource.open({
        path: warehouse.path,
        memoryLimit: warehouse.memory_limit,
        threads: warehouse.threads,
        catalog: warehouse.catalog,
      });
    }
    case 'postgres': {
      const { PostgresSource } = await import('./postgres/postgres-source.js');
      return PostgresSource.open(warehouse);
    }
    case 'bigquery': {
      const { BigQuerySource } = await import('./bigquery/bigquery-source.js');
      return BigQuerySource.open(warehouse);
    }
    case 'snowflake': {
      // Loaded on first use: the Snowflake SDK is large, and most installs never need it.
      const { SnowflakeSource } = await import('./snowflake/snowflake-source.js');
      return SnowflakeSource.open(warehouse);
    }
  }
}
