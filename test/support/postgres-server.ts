import pg from 'pg';

/** The PostgreSQL server of the integration suite (trust auth); override with COHORT_SYNC_TEST_POSTGRES_URL. */
export const TEST_POSTGRES_URL =
  process.env.COHORT_SYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Set by .ci/run: an unreachable server fails the test run instead of skipping the PostgreSQL suite. */
export const POSTGRES_REQUIRED = process.env.COHORT_SYNC_REQUIRE_POSTGRES === '1';

/** Whether the server answers a query within a few seconds; the reason when it does not. */
export async function probePostgres(url = TEST_POSTGRES_URL): Promise<{ ok: boolean; reason?: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message || String(error) : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs SQL on the test server on a short-lived connection of its own (setup, inspection, fault injection). */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Drops the schemas whose names start with `prefix` (a test's `<state>` and `<state>_data`, or a whole
 * run's), after terminating the sessions that carry such a name as application_name: a killed CLI can
 * leave a query running that would otherwise hold its locks for minutes.
 */
export async function dropTestSchemas(prefix: string): Promise<void> {
  await adminQuery(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE starts_with(application_name, $1) AND pid <> pg_backend_pid()`,
    [prefix],
  );
  const schemas = await adminQuery<{ nspname: string }>(
    `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`,
    [prefix],
  );
  for (const { nspname } of schemas) await adminQuery(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
}
