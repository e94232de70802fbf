import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { applyConfirmedStatements } from '../../../src/state/snapshot-statements.js';
import { bigqueryCapabilities } from '../../../src/sources/bigquery/bigquery-capabilities.js';
import { BigQueryDialect } from '../../../src/sources/bigquery/bigquery-dialect.js';
import { transactionScript } from '../../../src/sources/bigquery/transaction-script.js';
import { pinnedSql } from '../../support/pinned-sql.js';

const db = new Kysely<any>({ dialect: new BigQueryDialect(() => Promise.reject(new Error('compile only'))) }); // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The exact GoogleSQL the BigQuery dialect generates, pinned in one reviewable file. Each statement was
 * checked by hand against the GoogleSQL reference (see docs/warehouses.md, "What was verified how").
 */
describe('the SQL cohort-sync sends to BigQuery', () => {
  it('is pinned in bigquery.sql', async () => {
    const text = pinnedSql({
      db,
      caps: bigqueryCapabilities({ stageExpirationHours: 24 }),
      valuesLabel: 'parameters',
      userSql: 'SELECT user_id AS external_id, email AS alias_name FROM `analytics.customers`;',
      columns: {
        externalId: 'external_id',
        deviceId: undefined,
        aliasName: 'alias_name',
        aliasLabel: undefined,
        aliasLabelConstant: 'email',
      },
      literalTitle: 'a NULL value and a literal with quotes and a newline',
      sectionsAfterApply: ({ schema, changeInput, show }) => {
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
        return [
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
          `-- the snapshot apply and the audit update: one transaction, one script job\n${script.sql}\n-- parameters: ${JSON.stringify(script.parameters)}\n`,
        ];
      },
    });
    await expect(text).toMatchFileSnapshot('__snapshots__/bigquery.sql');
  });
});
