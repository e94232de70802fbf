import { sql, type CompiledQuery, type Kysely } from 'kysely';
import {
  changeCountsQuery,
  stageChangesStatement,
  streamChangesQuery,
} from '../../src/diff/change-statements.js';
import { cohortEncoding } from '../../src/destinations/braze-cohort/cohort-destination.js';
import type { IdentifierColumns } from '../../src/diff/identifier-columns.js';
import { limitChangesStatements } from '../../src/diff/limit-statements.js';
import {
  dropTableStatement,
  stageCountsQuery,
  stageMembersStatement,
} from '../../src/diff/stage-statements.js';
import { stageTables } from '../../src/diff/stage-tables.js';
import type { SqlCapabilities } from '../../src/sources/source.js';
import { MIGRATIONS } from '../../src/state/migrations.js';
import { applyConfirmedStatements } from '../../src/state/snapshot-statements.js';
import { markChangesStatement, recordChangesStatement } from '../../src/state/sync-changes-statements.js';

/** One dialect's compiler and what its pinned file shows beyond the statements every warehouse runs. */
export interface PinnedDialect {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  caps: SqlCapabilities;
  /** What the dialect's driver calls the values sent beside the SQL text (`parameters`, `binds`). */
  valuesLabel: string;
  /** An audience query in the dialect, and the identifier columns it yields. */
  userSql: string;
  columns: IdentifierColumns;
  /** Statements the dialect's runs add to the staging section. */
  stageExtra?: (input: PinnedInput) => CompiledQuery[];
  /** Sections of the dialect's own, shown after the diff and after the apply. */
  sectionsAfterDiff?: (input: PinnedInput) => string[];
  sectionsAfterApply?: (input: PinnedInput) => string[];
  /** The title of the section showing a literal with a quote, a backslash and a newline. */
  literalTitle: string;
}

export type PinnedInput = ReturnType<typeof pinnedInput>;

function pinnedInput(dialect: PinnedDialect) {
  const { db, caps } = dialect;
  const schema = 'cohort_sync';
  const tables = stageTables('3f2a9c1e-0b7d-4e51-9a8c-2d6f1e0b4a77', schema);
  const changeInput = { db, caps, schema, tables, syncName: 'vip', batchSize: cohortEncoding.batchLimit };
  const show = (title: string, statements: readonly CompiledQuery[]) =>
    showStatements(title, statements, dialect.valuesLabel);
  return { db, caps, schema, tables, changeInput, show };
}

/** Statements as they go to the warehouse: the SQL text, and the values sent beside it. */
function showStatements(title: string, statements: readonly CompiledQuery[], label: string): string {
  const body = statements
    .map((statement) => {
      const values =
        statement.parameters.length > 0 ? `\n-- ${label}: ${JSON.stringify(statement.parameters)}` : '';
      return `${statement.sql};${values}`;
    })
    .join('\n\n');
  return `-- ${title}\n${body}\n`;
}

/**
 * The text of a dialect's pinned SQL file: every statement the stage → diff → apply plan and the
 * migrations send, in the order a run sends them, for review against the vendor's SQL reference.
 */
export function pinnedSql(dialect: PinnedDialect): string {
  const input = pinnedInput(dialect);
  const { db, caps, schema, tables, changeInput, show } = input;
  return [
    show(
      'migrations',
      MIGRATIONS.flatMap((migration) => migration.statements({ db, schema, caps }) as CompiledQuery[]),
    ),
    show('stage the query result', [
      stageMembersStatement({
        db,
        caps,
        schema,
        table: tables.members,
        userSql: dialect.userSql,
        columns: dialect.columns,
      }),
      stageCountsQuery({ db, caps, schema, table: tables.members }),
      ...(dialect.stageExtra?.(input) ?? []),
    ]),
    show('diff against the snapshot', [stageChangesStatement(changeInput), changeCountsQuery(changeInput)]),
    show('diff, re-sending changes earlier runs left unconfirmed', [
      stageChangesStatement({ ...changeInput, unresolvedRuns: ['run-a', 'run-b'] }),
    ]),
    ...(dialect.sectionsAfterDiff?.(input) ?? []),
    show('record, stream, apply', [
      recordChangesStatement({ ...changeInput, runId: 'run-1' }),
      streamChangesQuery(changeInput),
      ...applyConfirmedStatements({
        ...changeInput,
        runId: 'run-1',
        ranges: [
          [0, 4],
          [7, 7],
        ],
        adds: true,
        removes: true,
      }),
      markChangesStatement({
        db,
        schema,
        runId: 'run-1',
        ranges: [[5, 6]],
        status: 'failed',
        error: "HTTP 400: it's bad",
      }),
    ]),
    ...(dialect.sectionsAfterApply?.(input) ?? []),
    show(
      'run --limit',
      limitChangesStatements({ db, caps, tables, limit: 2500, batchSize: cohortEncoding.batchLimit }),
    ),
    show('drop a stage table', [dropTableStatement({ db, caps, schema, table: tables.members })]),
    show(dialect.literalTitle, [
      db
        .updateTable(`${schema}.sync_runs`)
        .set({ error: null, skip_reasons: sql.lit("it's a\nnew \\ line") })
        .where('run_id', '=', 'run-1')
        .compile(),
    ]),
  ].join('\n');
}
