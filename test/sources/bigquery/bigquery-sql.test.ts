import { Kysely, sql, type CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { applyConfirmedStatements, markChangesStatement } from '../../../src/diff/apply-statements.js';
import {
  changeCountsQuery,
  recordChangesStatement,
  stageChangesStatement,
  streamChangesQuery,
} from '../../../src/diff/change-statements.js';
import { limitChangesStatements } from '../../../src/diff/limit-statements.js';
import {
  dropTableStatement,
  stageCountsQuery,
  stageMembersStatement,
} from '../../../src/diff/stage-statements.js';
import { stageTables } from '../../../src/diff/stage-tables.js';
import { bigqueryCapabilities } from '../../../src/sources/bigquery/bigquery-capabilities.js';
import { BigQueryDialect } from '../../../src/sources/bigquery/bigquery-dialect.js';
import { transactionScript } from '../../../src/sources/bigquery/transaction-script.js';
import { MIGRATIONS } from '../../../src/state/migrations.js';

const caps = bigqueryCapabilities({ stageExpirationHours: 24 });
const db = new Kysely<any>({ dialect: new BigQueryDialect(() => Promise.reject(new Error('compile only'))) }); // eslint-disable-line @typescript-eslint/no-explicit-any
const schema = 'cohort_sync';
const tables = stageTables('3f2a9c1e-0b7d-4e51-9a8c-2d6f1e0b4a77', schema);
const changeInput = { db, caps, schema, tables, syncName: 'vip' };

/** Statements as they go to BigQuery: the SQL text, and the positional parameters after it. */
function show(title: string, statements: readonly CompiledQuery[]): string {
  const body = statements
    .map((statement) => {
      const parameters =
        statement.parameters.length > 0 ? `\n-- parameters: ${JSON.stringify(statement.parameters)}` : '';
      return `${statement.sql};${parameters}`;
    })
    .join('\n\n');
  return `-- ${title}\n${body}\n`;
}

/**
 * The exact GoogleSQL the BigQuery dialect generates, pinned in one reviewable file. Each statement was
 * checked by hand against the GoogleSQL reference (see docs/warehouses.md, "What was verified how").
 */
describe('the SQL cohort-sync sends to BigQuery', () => {
  it('is pinned in bigquery.sql', async () => {
    const sections = [
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
          userSql: 'SELECT user_id AS external_id, email AS alias_name FROM `analytics.customers`;',
          columns: {
            externalId: 'external_id',
            deviceId: undefined,
            aliasName: 'alias_name',
            aliasLabel: undefined,
            aliasLabelConstant: 'email',
          },
        }),
        stageCountsQuery({ db, caps, schema, table: tables.members }),
      ]),
      show('diff against the snapshot', [stageChangesStatement(changeInput), changeCountsQuery(changeInput)]),
      show('diff, re-sending changes earlier runs left unconfirmed', [
        stageChangesStatement({ ...changeInput, unresolvedRuns: ['run-a', 'run-b'] }),
      ]),
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
      show('apply adds of a run that re-sends changes earlier runs left unconfirmed', [
        ...applyConfirmedStatements({
          ...changeInput,
          runId: 'run-2',
          ranges: [[0, 1]],
          adds: true,
          removes: false,
          addsMayBeHeld: true,
        }).slice(0, 1),
      ]),
      (() => {
        const script = transactionScript([
          ...applyConfirmedStatements({
            ...changeInput,
            runId: 'run-1',
            ranges: [[0, 2]],
            adds: true,
            removes: true,
          }),
          db
            .updateTable(`${schema}.sync_runs`)
            .set({ added: 2000, removed: 1000, status: 'succeeded', finished_at: sql`CURRENT_TIMESTAMP` })
            .where('run_id', '=', 'run-1')
            .compile(),
        ]);
        return `-- the snapshot apply and the audit update: one transaction, one script job\n${script.sql}\n-- parameters: ${JSON.stringify(script.parameters)}\n`;
      })(),
      show('run --limit', limitChangesStatements({ db, caps, tables, limit: 2500 })),
      show('drop a stage table', [dropTableStatement({ db, caps, schema, table: tables.members })]),
      show('a NULL value and a literal with quotes and a newline', [
        db
          .updateTable(`${schema}.sync_runs`)
          .set({ error: null, skip_reasons: sql.lit("it's a\nnew \\ line") })
          .where('run_id', '=', 'run-1')
          .compile(),
      ]),
    ];
    await expect(sections.join('\n')).toMatchFileSnapshot('__snapshots__/bigquery.sql');
  });
});
