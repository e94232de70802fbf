import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { configProblems, configWithWarehouse } from '../support/config-text.js';

const FILE = '/project/config/cohort-sync.yaml';
const ENV = {
  BRAZE_PARTNER_API_KEY: 'pk-1234',
  BRAZE_DATA_IMPORT_KEY: 'dik-5678',
  SNOWFLAKE_PASSWORD: 'sf-pass-4411',
  SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'sf-phrase-9902',
};

const LOGIN =
  'type: snowflake, account: myorg-myaccount, username: COHORT_SYNC, warehouse: COMPUTE_WH, database: ANALYTICS';

const yaml = (warehouse: string, state = '', login = LOGIN) =>
  configWithWarehouse(`{ ${login}, ${warehouse} }`, state);

const problems = (warehouse: string, state = '', login = LOGIN) =>
  configProblems(yaml(warehouse, state, login), ENV, FILE);

describe('the snowflake warehouse config', () => {
  it('logs in with a password from the environment, redacts it, and keeps state in cohort_sync by default', async () => {
    const config = await parseConfig(yaml("password: '${SNOWFLAKE_PASSWORD}', role: REPORTER"), FILE, ENV);
    expect(config.warehouse).toEqual({
      type: 'snowflake',
      account: 'myorg-myaccount',
      username: 'COHORT_SYNC',
      password: ENV.SNOWFLAKE_PASSWORD,
      warehouse: 'COMPUTE_WH',
      database: 'ANALYTICS',
      role: 'REPORTER',
      connect_timeout_seconds: 60,
    });
    expect(config.state.schema).toBe('cohort_sync');
    expect(config.secrets).toContain(ENV.SNOWFLAKE_PASSWORD);
  });

  it('takes a private key file relative to the config file, its passphrase from the environment', async () => {
    const config = await parseConfig(
      yaml(
        "private_key_path: keys/rsa_key.p8, private_key_passphrase: '${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}'",
      ),
      FILE,
      ENV,
    );
    expect(config.warehouse).toMatchObject({ private_key_path: '/project/config/keys/rsa_key.p8' });
    expect(config.secrets).toContain(ENV.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE);
  });

  it('warehouse.schema names the state schema', async () => {
    const config = await parseConfig(yaml("password: '${SNOWFLAKE_PASSWORD}', schema: AUDIT"), FILE, ENV);
    expect(config.state.schema).toBe('AUDIT');
  });

  it.each([
    [
      'a password written in the file',
      'password: hunter2',
      /warehouse\.password: must be an environment variable reference such as \$\{SNOWFLAKE_PASSWORD\}/,
    ],
    [
      'both a password and a key',
      "password: '${SNOWFLAKE_PASSWORD}', private_key_path: rsa_key.p8",
      /warehouse: give either password or private_key_path, not both/,
    ],
    [
      'no credential',
      'role: REPORTER',
      /warehouse: needs password \(e\.g\. password: \$\{SNOWFLAKE_PASSWORD\}\) or private_key_path/,
    ],
    [
      'a passphrase without a key',
      "password: '${SNOWFLAKE_PASSWORD}', private_key_passphrase: '${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}'",
      /warehouse\.private_key_passphrase: is only used with private_key_path/,
    ],
    [
      'a passphrase written in the file',
      'private_key_path: rsa_key.p8, private_key_passphrase: secret',
      /warehouse\.private_key_passphrase: must be an environment variable reference such as \$\{SNOWFLAKE_PRIVATE_KEY_PASSPHRASE\}/,
    ],
  ])('refuses %s, naming the key and what to do', async (_name, warehouse, message) => {
    expect(await problems(warehouse)).toMatch(message);
  });

  it('refuses a URL where the account identifier belongs', async () => {
    const login = LOGIN.replace(
      'account: myorg-myaccount',
      "account: 'https://myorg-myaccount.snowflakecomputing.com'",
    );
    expect(await problems("password: '${SNOWFLAKE_PASSWORD}'", '', login)).toMatch(
      /warehouse\.account: must be an account identifier such as myorg-myaccount/,
    );
  });

  it('refuses a state schema named twice, differently', async () => {
    expect(
      await problems("password: '${SNOWFLAKE_PASSWORD}', schema: AUDIT", 'state: { schema: other }'),
    ).toMatch(
      /warehouse\.schema: names the state schema, as state\.schema does \("other"\); give one of them/,
    );
  });
});
