import { sql, type Expression, type SqlBool } from 'kysely';
import type { ChangesStageRow } from '../diff/stage-tables.js';

/**
 * `(batch = … AND op = … AND id_type = … AND id = … AND alias_label = …) OR …`: the rows of exactly
 * these changes, in the changes stage table (`table` its alias) or in sync_changes. Ids go as
 * parameters, never into the SQL text.
 */
export function matchesChanges(changes: readonly ChangesStageRow[], table?: string): Expression<SqlBool> {
  const column = (name: keyof ChangesStageRow) => sql.ref(table === undefined ? name : `${table}.${name}`);
  const one = (change: ChangesStageRow) =>
    sql<SqlBool>`(${column('batch')} = ${sql.lit(change.batch)} AND ${column('op')} = ${change.op} AND ${column('id_type')} = ${change.id_type} AND ${column('id')} = ${change.id} AND ${column('alias_label')} = ${change.alias_label})`;
  return changes.length === 0
    ? sql<SqlBool>`(1 = 0)`
    : sql<SqlBool>`(${sql.join(changes.map(one), sql` OR `)})`;
}
