import { DuckDBDecimalType, DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';

/** DuckDB types whose text form is a usable identifier (see QueryColumn.identifier). */
const IDENTIFIER_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.STRING_LITERAL,
  DuckDBTypeId.ENUM,
  DuckDBTypeId.UUID,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.INTEGER_LITERAL,
  DuckDBTypeId.BIGNUM,
  DuckDBTypeId.SQLNULL, // a NULL column: every row falls through to the next identifier
]);

/** Whether a DuckDB column of this type makes usable identifiers when cast to VARCHAR. */
export function isIdentifierType(type: DuckDBType): boolean {
  if (type instanceof DuckDBDecimalType) return type.scale === 0; // DECIMAL(18,0) is a whole number
  return IDENTIFIER_TYPES.has(type.typeId);
}
