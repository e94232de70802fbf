import { normalizeValue } from '../normalize-value.js';

/** A result column as jobs.query and jobs.getQueryResults describe it (TableFieldSchema). */
export interface BigQueryField {
  name: string;
  type: string;
  mode?: string;
}

/** A query parameter on the wire (QueryParameter); named ones carry `name`. */
export interface BigQueryParameter {
  name?: string;
  parameterType: { type: string };
  parameterValue: { value: string };
}

/**
 * A kysely parameter as a typed positional parameter. Whole numbers go as INT64 in decimal text, so ids
 * past 2^53 given as bigint or string stay exact. NULL never gets here: the compiler writes it as a literal.
 */
export function toParameter(value: unknown): BigQueryParameter {
  const typed = (type: string, text: string) => ({
    parameterType: { type },
    parameterValue: { value: text },
  });
  if (typeof value === 'string') return typed('STRING', value);
  if (typeof value === 'bigint') return typed('INT64', value.toString());
  if (typeof value === 'number')
    return Number.isInteger(value) ? typed('INT64', value.toFixed(0)) : typed('FLOAT64', String(value));
  if (typeof value === 'boolean') return typed('BOOL', String(value));
  if (value instanceof Date) return typed('TIMESTAMP', value.toISOString());
  throw new TypeError(`cannot send a ${typeof value} as a BigQuery query parameter`);
}

/**
 * A cell of the REST result (`{ v: text }`) as plain JS, by its column type: INT64 as a number when exact
 * and its decimal text otherwise (like every source), FLOAT64 as a number, BOOL as a boolean, TIMESTAMP
 * (microseconds since the epoch, as formatOptions.useInt64Timestamp asks) as a Date, the rest as text.
 */
export function fromCell(field: BigQueryField, cell: unknown): unknown {
  const value = (cell as { v?: unknown } | null)?.v;
  if (value === null || value === undefined) return null;
  if (field.mode === 'REPEATED' || typeof value !== 'string') return value;
  switch (field.type) {
    case 'INTEGER':
    case 'INT64':
      return normalizeValue(BigInt(value));
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return /^-?\d+$/.test(value) ? normalizeValue(BigInt(value)) : value;
    case 'FLOAT':
    case 'FLOAT64':
      return Number(value);
    case 'BOOLEAN':
    case 'BOOL':
      return value.toLowerCase() === 'true';
    case 'TIMESTAMP':
      return /^-?\d+$/.test(value) ? new Date(Number(BigInt(value) / 1000n)) : new Date(Number(value) * 1000);
    default:
      return value;
  }
}

/** A REST result row (`{ f: [{ v }] }`) as an array in select-list order. */
export function rowValues(fields: readonly BigQueryField[], row: unknown): unknown[] {
  const cells = (row as { f?: unknown[] }).f ?? [];
  return fields.map((field, index) => fromCell(field, cells[index]));
}

/** Column types whose text form is a usable identifier (see QueryColumn.identifier). */
const IDENTIFIER_TYPES = new Set(['STRING', 'INTEGER', 'INT64']);

/**
 * Whether a BigQuery column makes usable ids as text. NUMERIC is refused: its schema does not say whether
 * a value has a fraction ("12.5" is no one's id); CAST it to INT64 or STRING in the query.
 */
export function isIdentifierField(field: BigQueryField): boolean {
  return field.mode !== 'REPEATED' && IDENTIFIER_TYPES.has(field.type);
}
