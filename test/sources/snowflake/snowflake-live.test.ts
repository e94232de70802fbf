import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WarehouseConfig } from '../../../src/config/types.js';
import type { RunningEmulator } from '../../../src/emulator/emulator-server.js';
import { createSource } from '../../../src/sources/create-source.js';
import { atEnd } from '../../support/cleanup.js';
import { runCli } from '../../support/cli.js';
import { PARTNER, TEST_ENV, cohortMembers, emulator } from '../../support/emulator.js';
import { captureForSecretScan, registerSecret } from '../../support/secret-scan.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * COHORT_SYNC_LIVE_SNOWFLAKE: the `warehouse:` keys of a real account as JSON, e.g.
 * {"account":"myorg-myaccount","username":"COHORT_SYNC","password":"…","warehouse":"COHORT_SYNC_WH","database":"SANDBOX","role":"COHORT_SYNC_ROLE"}.
 * The suite creates two schemas of random names in that database and drops them at the end.
 */
const LIVE = process.env.COHORT_SYNC_LIVE_SNOWFLAKE;
if (!LIVE)
  console.warn(
    '\n⚠ live Snowflake suite SKIPPED: set COHORT_SYNC_LIVE_SNOWFLAKE to the JSON of a warehouse: mapping (see test/sources/snowflake/snowflake-live.test.ts) to run it.\n',
  );

describe.skipIf(!LIVE)('a sync on a live Snowflake account', () => {
  const settings = JSON.parse(LIVE ?? '{}') as Record<string, string>;
  const password = settings.password ?? '';
  const suffix = randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase();
  const state = `COHORT_SYNC_LIVE_${suffix}`;
  const data = `COHORT_SYNC_LIVE_DATA_${suffix}`;
  const config = {
    ...settings,
    type: 'snowflake',
    connect_timeout_seconds: 60,
  } as unknown as WarehouseConfig;
  let braze: RunningEmulator;
  let configFile: string;

  async function exec(...statements: string[]): Promise<void> {
    const source = await createSource(config);
    try {
      for (const statement of statements) await source.execute(sql.raw(statement).compile(source.db));
    } finally {
      await source.close();
    }
  }
  const run = async () => {
    const result = await runCli(['run', '--config', configFile], {
      env: { ...TEST_ENV, SNOWFLAKE_LIVE_PASSWORD: password },
    });
    captureForSecretScan('live Snowflake run', result.stdout + result.stderr);
    return result;
  };
  const users = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();

  beforeAll(async () => {
    if (password) registerSecret(password);
    braze = await emulator({ allUsersExist: true });
    const dir = await tempDir();
    await exec(`CREATE SCHEMA ${data}`, `CREATE TABLE ${data}.audience (external_id VARCHAR)`);
    atEnd(() => exec(`DROP SCHEMA IF EXISTS ${data}`, `DROP SCHEMA IF EXISTS ${state}`));
    const { password: _password, ...keys } = settings;
    const warehouse = Object.entries({ ...keys, schema: state })
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
      .join(', ');
    configFile = path.join(dir, 'live.yaml');
    await writeFile(
      configFile,
      [
        `warehouse: { type: snowflake, ${warehouse}${password ? ', password: "${SNOWFLAKE_LIVE_PASSWORD}"' : ''} }`,
        `braze: { rest_endpoint: ${braze.url}, partner: ${PARTNER}, partner_api_key: '\${BRAZE_PARTNER_API_KEY}', data_import_key: '\${BRAZE_DATA_IMPORT_KEY}' }`,
        'syncs:',
        `  - { name: live, cohort_name: Live, query: "SELECT external_id FROM ${data}.audience" }`,
      ].join('\n'),
    );
  });

  const fill = (from: number, to: number) =>
    exec(
      `DELETE FROM ${data}.audience`,
      `INSERT INTO ${data}.audience SELECT 'user-' || (ROW_NUMBER() OVER (ORDER BY SEQ4()) + ${from - 1}) FROM TABLE(GENERATOR(ROWCOUNT => ${to - from + 1}))`,
    );

  it('adds, then sends only the churn; a guardrail stops a mass removal', async () => {
    await fill(1, 2500);
    expect(await run()).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^live: succeeded, \+2500 −0/m) as unknown,
    });
    await fill(1001, 3000);
    expect(await run()).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^live: succeeded, \+500 −1000/m) as unknown,
    });
    expect(cohortMembers(braze, 'cohort-sync-live')).toEqual(users(1001, 3000));
    await fill(2901, 3000);
    expect((await run()).code).toBe(3);
  });
});
