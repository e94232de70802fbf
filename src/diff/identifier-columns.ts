import type { IdentifiersConfig } from '../config/types.js';
import type { QueryColumn } from '../sources/source.js';

/** Which columns of the user's query hold each identifier (undefined: the query lacks it). */
export interface IdentifierColumns {
  externalId: string | undefined;
  deviceId: string | undefined;
  aliasName: string | undefined;
  aliasLabel: string | undefined;
  /** A constant label for every alias, from config; replaces the label column. */
  aliasLabelConstant: string | undefined;
}

export type ResolvedColumns = { ok: true; columns: IdentifierColumns } | { ok: false; message: string };

/**
 * Matches the query's column names to the configured identifier columns,
 * ignoring case (Snowflake upper-cases unquoted names). A query needs at
 * least one of external id, device id or alias name.
 */
export function resolveIdentifierColumns(
  queryColumns: readonly string[],
  identifiers: IdentifiersConfig,
): ResolvedColumns {
  const find = (wanted: string) =>
    queryColumns.find((column) => column.toLowerCase() === wanted.toLowerCase());
  const columns: IdentifierColumns = {
    externalId: find(identifiers.external_id),
    deviceId: find(identifiers.device_id),
    aliasName: find(identifiers.alias_name),
    aliasLabel: identifiers.alias_label === undefined ? find(identifiers.alias_label_column) : undefined,
    aliasLabelConstant: identifiers.alias_label,
  };
  if (!columns.externalId && !columns.deviceId && !columns.aliasName) {
    const expected = [identifiers.external_id, identifiers.device_id, identifiers.alias_name].join(', ');
    return {
      ok: false,
      message:
        `the query returns none of the identifier columns (${expected}); it returned: ${queryColumns.join(', ') || 'no columns'}. ` +
        'Alias the columns in SQL (SELECT user_id AS external_id …) or map them under identifiers:',
    };
  }
  if (columns.aliasName && !columns.aliasLabel && !columns.aliasLabelConstant) {
    return {
      ok: false,
      message: `the query returns ${columns.aliasName} but no ${identifiers.alias_label_column} column; return the alias label or set identifiers.alias_label to a constant`,
    };
  }
  return { ok: true, columns };
}

/**
 * The first identifier column whose type does not make usable ids as text (a BOOLEAN external_id would
 * send "true"), as a message saying what to do; undefined when all are usable. `columns` come from
 * Source.describeColumns; a source that cannot describe types reports every column usable.
 */
export function unusableIdentifierColumn(
  columns: readonly QueryColumn[],
  resolved: IdentifierColumns,
  textType: string,
): string | undefined {
  const used = [resolved.externalId, resolved.deviceId, resolved.aliasName, resolved.aliasLabel];
  for (const name of used) {
    if (name === undefined) continue;
    const column = columns.find((c) => c.name === name);
    if (column && !column.identifier) {
      return (
        `identifier column ${name} is of type ${column.type}, whose values are not ids as text; ` +
        `identifiers must be text, whole numbers or UUIDs. Return the id column itself, or if the text ` +
        `form really is the id, cast it in the query: CAST(${name} AS ${textType}) AS ${name}`
      );
    }
  }
  return undefined;
}
