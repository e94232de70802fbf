/** The login the suite's fake Snowflake accepts (see global-setup.ts). The password is a secret like any other. */
export const FAKE_SNOWFLAKE_USER = 'COHORT_SYNC';
export const FAKE_SNOWFLAKE_PASSWORD = 'sf-test-3e9a61c4-password';
