import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { trimStatement } from '../config/trim-statement.js';
import type { QueryColumn, SqlCapabilities } from '../sources/source.js';
import type { IdentifierColumns } from './identifier-columns.js';
import { createStageTable, qualified } from './stage-tables.js';

/** Longest identifier accepted; Braze documents no limit, but ids past this are data errors, not users. */
export const MAX_ID_LENGTH = 1024;

/** Why a row was not counted as a member, as stored in the members stage table's `verdict`. */
export const SKIP_VERDICTS = {
  blank: 'blank identifier (empty or only spaces)',
  too_long: `identifier longer than ${MAX_ID_LENGTH} characters`,
  no_alias_label: 'alias without an alias label',
} as const;

export type Verdict = 'valid' | 'null' | keyof typeof SKIP_VERDICTS;

interface StageInput {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  caps: SqlCapabilities;
  schema: string;
  table: string;
}

/**
 * The user's SQL, ready to embed as a subquery: without the semicolons after its end (one would end the
 * enclosing statement), and followed by a newline, so that a trailing `--` comment ends before the closing
 * parenthesis.
 */
export function asSubquery(userSql: string): string {
  return `${trimStatement(userSql).trim()}\n`;
}

/**
 * CREATE TABLE … AS the normalised query result, grouped by identity:
 * the identity is the first non-NULL of external id, device id, alias;
 * ids are cast to text; each distinct identity gets its row count and a
 * verdict (valid, null, or why it is skipped); a whole-number id whose type
 * may hold fractions fails the statement on a value with one. The only pass
 * over the user's query, so a costly query runs once.
 */
export function stageMembersStatement(
  input: StageInput & {
    userSql: string;
    columns: IdentifierColumns;
    /** The query's columns as the source described them: a column that may hold fractions is checked. */
    described?: readonly QueryColumn[];
  },
): CompiledQuery {
  const { db, caps, columns } = input;
  const text = sql.raw(caps.textType);
  const pick = (column: string | undefined): RawBuilder<unknown> => {
    if (column === undefined) return sql`CAST(NULL AS ${text})`;
    const value = sql.ref(`q.${column}`);
    const checked = input.described?.find((described) => described.name === column)?.fractionPossible;
    return checked && caps.wholeNumberText
      ? caps.wholeNumberText(value, column)
      : sql`CAST(${value} AS ${text})`;
  };
  const label =
    columns.aliasLabelConstant !== undefined
      ? sql`CAST(${sql.lit(columns.aliasLabelConstant)} AS ${text})`
      : pick(columns.aliasLabel);

  const select = sql`SELECT id_type, id, alias_label, COUNT(*) AS row_count,
  CASE
    WHEN id_type IS NULL THEN 'null'
    WHEN TRIM(id) = '' THEN 'blank'
    WHEN LENGTH(id) > ${sql.lit(MAX_ID_LENGTH)} THEN 'too_long'
    WHEN id_type = 'alias' AND TRIM(alias_label) = '' THEN 'no_alias_label'
    ELSE 'valid'
  END AS verdict
FROM (
  SELECT
    CASE WHEN ext IS NOT NULL THEN 'external_id' WHEN dev IS NOT NULL THEN 'device_id' WHEN an IS NOT NULL THEN 'alias' END AS id_type,
    COALESCE(ext, dev, an) AS id,
    CASE WHEN ext IS NULL AND dev IS NULL AND an IS NOT NULL THEN COALESCE(al, '') ELSE '' END AS alias_label
  FROM (
    SELECT ${pick(columns.externalId)} AS ext, ${pick(columns.deviceId)} AS dev, ${pick(columns.aliasName)} AS an, ${label} AS al
    FROM (${sql.raw(asSubquery(input.userSql))}) AS q
  ) AS c
) AS n
GROUP BY id_type, id, alias_label`;
  return createStageTable(caps, input.schema, input.table, select).compile(db);
}

/** Per verdict: how many query rows, and how many distinct identities. */
export function stageCountsQuery(input: StageInput): CompiledQuery {
  return input.db
    .selectFrom(qualified(input.schema, input.table))
    .select(['verdict', sql`SUM(row_count)`.as('rows'), sql`COUNT(*)`.as('identities')])
    .groupBy('verdict')
    .compile();
}

export function dropTableStatement(input: StageInput): CompiledQuery {
  return input.db.schema.dropTable(qualified(input.schema, input.table)).ifExists().compile();
}
