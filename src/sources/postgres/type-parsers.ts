import pg from 'pg';
import { normalizeValue } from '../normalize-value.js';

/** PostgreSQL type OIDs we parse ourselves. */
const INT8 = 20;
const NUMERIC = 1700;

/**
 * pg returns BIGINT (COUNT, SUM, our counters) and NUMERIC as strings, because they may not fit a JS
 * number. Like the other sources, we give numbers when exact and the decimal text otherwise. Scoped to
 * our pool: pg's global parsers stay untouched for anyone else in the process.
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8 || oid === NUMERIC) return parseExactNumber;
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

function parseExactNumber(text: string): number | string {
  if (!/^-?\d+$/.test(text)) return text;
  return normalizeValue(BigInt(text)) as number | string;
}
