import type { QueryColumn } from '../source.js';
import type { ResultColumn } from './snowflake-session.js';

/**
 * A result column as {@link QueryColumn}: its type in Snowflake's words, and whether its values cast to
 * VARCHAR make usable identifiers — text and whole numbers (NUMBER with scale 0) do; FLOAT, NUMBER with a
 * fraction, BOOLEAN, dates and times, VARIANT, OBJECT, ARRAY and BINARY do not.
 */
export function describeSnowflakeColumn(column: ResultColumn): QueryColumn {
  const { name, type, precision, scale } = column;
  switch (type) {
    case 'text':
      return { name, type: 'VARCHAR', identifier: true };
    case 'fixed':
      return { name, type: `NUMBER(${precision},${scale})`, identifier: scale === 0 };
    case 'real':
      return { name, type: 'FLOAT', identifier: false };
    default:
      return { name, type: type.toUpperCase(), identifier: false };
  }
}
