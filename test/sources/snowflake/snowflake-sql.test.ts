import { Kysely, type Driver } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sampleChangesQuery } from '../../../src/diff/change-statements.js';
import { snapshotSizeQuery } from '../../../src/state/snapshot-statements.js';
import { SNOWFLAKE_CAPABILITIES as caps } from '../../../src/sources/snowflake/snowflake-capabilities.js';
import { snowflakeDialect } from '../../../src/sources/snowflake/snowflake-dialect.js';
import { pinnedSql } from '../../support/pinned-sql.js';

const compileOnly = {} as Driver;
const db = new Kysely<any>({ dialect: snowflakeDialect(compileOnly) }); // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The exact SQL the Snowflake dialect generates, pinned in one reviewable file. Each statement was checked
 * by hand against Snowflake's SQL reference (see docs/warehouses.md, "What was verified how").
 */
describe('the SQL cohort-sync sends to Snowflake', () => {
  it('is pinned in snowflake.sql', async () => {
    const text = pinnedSql({
      db,
      caps,
      valuesLabel: 'binds',
      userSql: 'SELECT user_id AS external_id, email AS alias_name FROM analytics.public.customers;',
      columns: {
        externalId: 'EXTERNAL_ID',
        deviceId: undefined,
        aliasName: 'ALIAS_NAME',
        aliasLabel: undefined,
        aliasLabelConstant: 'email',
      },
      literalTitle: 'a NULL value, and a literal with a quote, a backslash and a newline',
      stageExtra: ({ schema }) => [snapshotSizeQuery({ db, schema, syncName: 'vip' })],
      sectionsAfterDiff: ({ changeInput, show }) => [
        show('plan samples', [sampleChangesQuery({ ...changeInput, op: 'add', limit: 10 })]),
      ],
    });
    await expect(text).toMatchFileSnapshot('__snapshots__/snowflake.sql');
  });
});
