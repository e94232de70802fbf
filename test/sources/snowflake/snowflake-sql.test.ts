import { Kysely, sql, type CompiledQuery, type Driver } from 'kysely';
import { describe, expect, it } from 'vitest';
import { applyConfirmedStatements, markChangesStatement } from '../../../src/diff/apply-statements.js';
import {
  changeCountsQuery,
  recordChangesStatement,
  sampleChangesQuery,
  stageChangesStatement,
  streamChangesQuery,
} from '../../../src/diff/change-statements.js';
import { limitChangesStatements } from '../../../src/diff/limit-statements.js';
import {
  dropTableStatement,
  snapshotSizeQuery,
  stageCountsQuery,
  stageMembersStatement,
} from '../../../src/diff/stage-statements.js';
import { stageTables } from '../../../src/diff/stage-tables.js';
import { SNOWFLAKE_CAPABILITIES as caps } from '../../../src/sources/snowflake/snowflake-capabilities.js';
import { snowflakeDialect } from '../../../src/sources/snowflake/snowflake-dialect.js';
import { MIGRATIONS } from '../../../src/state/migrations.js';

const compileOnly = {} as Driver;
const db = new Kysely<any>({ dialect: snowflakeDialect(compileOnly) }); // eslint-disable-line @typescript-eslint/no-explicit-any
const schema = 'cohort_sync';
const tables = stageTables('3f2a9c1e-0b7d-4e51-9a8c-2d6f1e0b4a77', schema);
const changeInput = { db, caps, schema, tables, syncName: 'vip' };

/** Statements as they go to Snowflake: the SQL text, and the `?` values after it. */
function show(title: string, statements: readonly CompiledQuery[]): string {
  const body = statements
    .map((statement) => {
      const parameters =
        statement.parameters.length > 0 ? `\n-- binds: ${JSON.stringify(statement.parameters)}` : '';
      return `${statement.sql};${parameters}`;
    })
    .join('\n\n');
  return `-- ${title}\n${body}\n`;
}

/**
 * The exact SQL the Snowflake dialect generates, pinned in one reviewable file. Each statement was checked
 * by hand against Snowflake's SQL reference (see docs/warehouses.md, "What was verified how").
 */
describe('the SQL cohort-sync sends to Snowflake', () => {
  it('is pinned in snowflake.sql', async () => {
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
          userSql: 'SELECT user_id AS external_id, email AS alias_name FROM analytics.public.customers;',
          columns: {
            externalId: 'EXTERNAL_ID',
            deviceId: undefined,
            aliasName: 'ALIAS_NAME',
            aliasLabel: undefined,
            aliasLabelConstant: 'email',
          },
        }),
        stageCountsQuery({ db, caps, schema, table: tables.members }),
        snapshotSizeQuery({ db, caps, schema, syncName: 'vip' }),
      ]),
      show('diff against the snapshot', [stageChangesStatement(changeInput), changeCountsQuery(changeInput)]),
      show('diff, re-sending changes earlier runs left unconfirmed', [
        stageChangesStatement({ ...changeInput, unresolvedRuns: ['run-a', 'run-b'] }),
      ]),
      show('plan samples', [sampleChangesQuery({ ...changeInput, op: 'add', limit: 10 })]),
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
      show('run --limit', limitChangesStatements({ db, caps, tables, limit: 2500 })),
      show('drop a stage table', [dropTableStatement({ db, caps, schema, table: tables.members })]),
      show('a NULL value, and a literal with a quote, a backslash and a newline', [
        db
          .updateTable(`${schema}.sync_runs`)
          .set({ error: null, skip_reasons: sql.lit("it's a\nnew \\ line") })
          .where('run_id', '=', 'run-1')
          .compile(),
      ]),
    ];
    await expect(sections.join('\n')).toMatchFileSnapshot('__snapshots__/snowflake.sql');
  });
});
