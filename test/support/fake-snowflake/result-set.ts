import {
  DuckDBDecimalType,
  DuckDBTypeId,
  type DuckDBDateValue,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

/** One column of a result as Snowflake's query response describes it (`rowtype`). */
export interface RowType {
  name: string;
  type: string;
  precision: number | null;
  scale: number | null;
  length: number | null;
  byteLength: number | null;
  nullable: boolean;
  database: string;
  schema: string;
  table: string;
  collation: null;
}

/** A value as it travels in Snowflake's JSON result format: text, or null. */
export type WireValue = string | null;

const INTEGER_TYPES = new Set([
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
]);

/**
 * The rowtype entry Snowflake would send for a DuckDB column. Names are upper-cased, as Snowflake folds
 * unquoted names (the fake cannot tell a quoted lower-case alias apart: documented in README.md).
 */
export function rowTypeOf(name: string, type: DuckDBType): RowType {
  const base = {
    name: name.toUpperCase(),
    precision: null,
    scale: null,
    length: null,
    byteLength: null,
    nullable: true,
    database: '',
    schema: '',
    table: '',
    collation: null,
  } as const;
  if (INTEGER_TYPES.has(type.typeId)) return { ...base, type: 'fixed', precision: 38, scale: 0 };
  if (type instanceof DuckDBDecimalType)
    return { ...base, type: 'fixed', precision: type.width, scale: type.scale };
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
      return { ...base, type: 'text', length: 16777216, byteLength: 16777216 };
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return { ...base, type: 'real' };
    case DuckDBTypeId.BOOLEAN:
      return { ...base, type: 'boolean' };
    case DuckDBTypeId.DATE:
      return { ...base, type: 'date' };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { ...base, type: 'timestamp_tz', scale: 6 };
    case DuckDBTypeId.TIMESTAMP:
      return { ...base, type: 'timestamp_ntz', scale: 6 };
    case DuckDBTypeId.SQLNULL:
      return { ...base, type: 'text', length: 16777216, byteLength: 16777216 };
    default:
      return { ...base, type: 'variant' };
  }
}

/**
 * A DuckDB value in Snowflake's JSON result encoding (result version 1): numbers and text as text,
 * booleans as "1"/"0", dates as days since the epoch, timestamps as "seconds.fraction" since the epoch,
 * TIMESTAMP_TZ followed by its offset index (minutes + 1440; always UTC here), everything else as JSON.
 */
export function wireValue(value: DuckDBValue, rowType: RowType): WireValue {
  if (value === null) return null;
  switch (rowType.type) {
    case 'boolean':
      return value ? '1' : '0';
    case 'date':
      return String((value as DuckDBDateValue).days);
    case 'timestamp_tz':
      return `${epochSeconds((value as DuckDBTimestampTZValue).micros)} 1440`;
    case 'timestamp_ntz':
      return epochSeconds((value as DuckDBTimestampValue).micros);
    case 'variant':
      return JSON.stringify(value, (_key, item: unknown) =>
        typeof item === 'bigint' ? item.toString() : item,
      );
    default:
      return String(value);
  }
}

function epochSeconds(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const seconds = magnitude / 1_000_000n;
  const fraction = (magnitude % 1_000_000n).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${seconds}.${fraction}`;
}
