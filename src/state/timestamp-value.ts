import { sql, type RawBuilder } from 'kysely';
import type { SqlCapabilities } from '../sources/source.js';

/**
 * A point in time computed in Node as a timestamp of the warehouse: the text of its ISO form bound as a
 * parameter and cast, which every engine reads the same way (interval arithmetic is spelled differently
 * on each).
 */
export function timestampValue(caps: SqlCapabilities, at: Date): RawBuilder<Date> {
  return sql<Date>`CAST(${at.toISOString()} AS ${sql.raw(caps.timestampType)})`;
}
