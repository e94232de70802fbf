import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { FakeSnowflake } from './fake-snowflake/fake-snowflake.js';
import { FAKE_SNOWFLAKE_PASSWORD, FAKE_SNOWFLAKE_USER } from './fake-snowflake/fake-login.js';
import { POSTGRES_REQUIRED, TEST_POSTGRES_URL, dropTestSchemas, probePostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Whether the PostgreSQL suite runs: the server answered (see test/support/engines.ts). */
    postgresAvailable: boolean;
    /** Prefix of every schema this test run creates on PostgreSQL, dropped when the run ends. */
    postgresSchemaPrefix: string;
    /** Access URL of the fake Snowflake this run shares (test/support/fake-snowflake/). */
    fakeSnowflakeUrl: string;
  }
}

/**
 * CLI tests spawn bin/cohort-sync.js, which runs dist/: build it from the current source first.
 * Probe PostgreSQL once: in CI (COHORT_SYNC_REQUIRE_POSTGRES=1) an unreachable server fails the run;
 * elsewhere the PostgreSQL suite is skipped with one line saying so and how to run it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const probe = await probePostgres();
  if (!probe.ok && POSTGRES_REQUIRED) {
    throw new Error(
      `COHORT_SYNC_REQUIRE_POSTGRES=1 but PostgreSQL at ${TEST_POSTGRES_URL} is unreachable (${probe.reason}); the PostgreSQL suite must run here`,
    );
  }
  if (!probe.ok) {
    console.warn(
      `\n⚠ PostgreSQL suite SKIPPED: no server at ${TEST_POSTGRES_URL} (${probe.reason}). ` +
        'To run it: start PostgreSQL on 127.0.0.1:5432 with trust auth and a database "test" ' +
        '(or point COHORT_SYNC_TEST_POSTGRES_URL at a server), then npm test.\n',
    );
  }
  // Other runs may share the server: each run names its schemas cs_<run>_… and drops only those.
  const prefix = `cs_${randomBytes(4).toString('hex')}_`;
  project.provide('postgresAvailable', probe.ok);
  project.provide('postgresSchemaPrefix', prefix);
  // One fake Snowflake for the run: test files in other processes and spawned CLIs reach it over loopback.
  const snowflake = await FakeSnowflake.start({
    users: { [FAKE_SNOWFLAKE_USER]: { password: FAKE_SNOWFLAKE_PASSWORD } },
  });
  project.provide('fakeSnowflakeUrl', snowflake.url);
  return async () => {
    await snowflake.close();
    if (probe.ok) await dropTestSchemas(prefix);
  };
}
