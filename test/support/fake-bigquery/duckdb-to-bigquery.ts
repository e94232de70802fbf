import { DuckDBTypeId, StatementType, type DuckDBType } from '@duckdb/node-api';

/** DuckDB result types as the REST schema names them (the API's legacy names: INTEGER, FLOAT, BOOLEAN). */
const TYPES: ReadonlyMap<DuckDBTypeId, string> = new Map([
  [DuckDBTypeId.VARCHAR, 'STRING'],
  [DuckDBTypeId.TINYINT, 'INTEGER'],
  [DuckDBTypeId.SMALLINT, 'INTEGER'],
  [DuckDBTypeId.INTEGER, 'INTEGER'],
  [DuckDBTypeId.BIGINT, 'INTEGER'],
  [DuckDBTypeId.HUGEINT, 'INTEGER'],
  [DuckDBTypeId.UTINYINT, 'INTEGER'],
  [DuckDBTypeId.USMALLINT, 'INTEGER'],
  [DuckDBTypeId.UINTEGER, 'INTEGER'],
  [DuckDBTypeId.UBIGINT, 'INTEGER'],
  [DuckDBTypeId.FLOAT, 'FLOAT'],
  [DuckDBTypeId.DOUBLE, 'FLOAT'],
  [DuckDBTypeId.DECIMAL, 'NUMERIC'],
  [DuckDBTypeId.BOOLEAN, 'BOOLEAN'],
  [DuckDBTypeId.TIMESTAMP_TZ, 'TIMESTAMP'],
  [DuckDBTypeId.TIMESTAMP, 'DATETIME'],
  [DuckDBTypeId.DATE, 'DATE'],
  [DuckDBTypeId.BLOB, 'BYTES'],
  [DuckDBTypeId.SQLNULL, 'INTEGER'], // BigQuery types an untyped NULL as INT64
]);

export function bigqueryType(type: DuckDBType): string {
  return TYPES.get(type.typeId) ?? 'STRING';
}

/** A DuckDB value as BigQuery's REST API sends a cell: text (TIMESTAMP as microseconds since the epoch), or null. */
export function fromDuckDbValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && 'micros' in value) return String((value as { micros: bigint }).micros);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return (value as { toString(): string }).toString(); // DuckDB's date and decimal values print as SQL does
}

/** DuckDB statement types as a BigQuery dry run's `statistics.query.statementType` names them. */
const STATEMENT_TYPES: ReadonlyMap<StatementType, string> = new Map([
  [StatementType.SELECT, 'SELECT'],
  [StatementType.INSERT, 'INSERT'],
  [StatementType.UPDATE, 'UPDATE'],
  [StatementType.DELETE, 'DELETE'],
  [StatementType.MERGE_INTO, 'MERGE'],
  [StatementType.CREATE, 'CREATE_TABLE'],
  [StatementType.DROP, 'DROP_TABLE'],
  [StatementType.ALTER, 'ALTER_TABLE'],
  [StatementType.CALL, 'CALL'],
  [StatementType.EXPORT, 'EXPORT_DATA'],
]);

/** The statementType BigQuery reports for a statement DuckDB prepared as `type`. */
export function bigqueryStatementType(type: StatementType): string {
  return STATEMENT_TYPES.get(type) ?? StatementType[type] ?? 'UNKNOWN';
}
