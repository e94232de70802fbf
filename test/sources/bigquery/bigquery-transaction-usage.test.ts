import { OAuth2Client } from 'google-auth-library';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/emulator-server.js';
import { BigQuerySource } from '../../../src/sources/bigquery/bigquery-source.js';
import { meteringQueries, type QueryUsage } from '../../../src/sources/query-usage.js';
import { emulator } from '../../support/emulator.js';
import { FakeBigQuery, type FakeJob } from '../../support/fake-bigquery/fake-bigquery.js';
import { fakeBigQueryAudience } from '../../support/fake-bigquery/fake-bigquery-warehouse.js';
import { tempDir } from '../../support/temp-dir.js';
import { World } from '../../support/world.js';

const TOKEN = 'ya29.fake-access-token';

const total = (jobs: FakeJob[]) => ({
  jobs: jobs.length,
  bytesProcessed: jobs.reduce((sum, job) => sum + job.bytesProcessed, 0),
  bytesBilled: jobs.reduce((sum, job) => sum + job.bytesBilled, 0),
});

describe('bytes of statements run inside a BigQuery transaction, through the real SDK against the fake', () => {
  let fake: FakeBigQuery;
  let source: BigQuerySource;

  beforeAll(async () => {
    fake = await FakeBigQuery.start({ token: TOKEN });
    const credentials = new OAuth2Client();
    credentials.setCredentials({ access_token: TOKEN, expiry_date: Date.now() + 3_600_000 });
    source = BigQuerySource.open(
      {
        type: 'bigquery',
        project_id: fake.project,
        location: 'EU',
        api_endpoint: fake.url,
        stage_expiration_hours: 24,
      },
      { authClient: credentials },
    );
    await fake.exec('CREATE SCHEMA ds');
    await fake.exec(
      'CREATE TABLE ds.t AS SELECT CAST(i AS STRING) AS v FROM UNNEST(GENERATE_ARRAY(1, 50)) AS i',
    );
  });
  afterAll(() => fake.stop());

  it('a transaction that only writes: its one script job is metered, once it has run', async () => {
    const usage: QueryUsage = { jobs: 0, bytesProcessed: 0, bytesBilled: 0 };
    const before = fake.jobs.length;
    let meteredInside: QueryUsage | undefined;
    await meteringQueries(usage, () =>
      source.transaction(async (tx) => {
        await tx.execute(
          sql.raw("INSERT INTO `ds.t` (v) SELECT CONCAT(v, '!') FROM `ds.t`").compile(source.db),
        );
        await tx.execute(sql.raw("UPDATE `ds.t` SET v = 'x' WHERE v = '1'").compile(source.db));
        meteredInside = { ...usage };
      }),
    );
    const jobs = fake.jobs.slice(before);
    expect(jobs.map((job) => job.sql.split('\n')[0])).toEqual(['BEGIN TRANSACTION;']);
    expect(source.capabilities.deferredTransactions).toBe(true);
    // Deferred: nothing had run while the work ran, so nothing was metered yet.
    expect(meteredInside).toEqual({ jobs: 0, bytesProcessed: 0, bytesBilled: 0 });
    expect(usage).toEqual(total(jobs));
    expect(usage.bytesBilled).toBeGreaterThan(0);
  });

  it('a transaction that reads: every job of its session is metered', async () => {
    const usage: QueryUsage = { jobs: 0, bytesProcessed: 0, bytesBilled: 0 };
    const before = fake.jobs.length;
    await meteringQueries(usage, () =>
      source.transaction(async (tx) => {
        await tx.execute(sql.raw('SELECT COUNT(*) AS n FROM `ds.t`').compile(source.db));
        await tx.execute(sql.raw("DELETE FROM `ds.t` WHERE v = 'x'").compile(source.db));
      }),
    );
    const jobs = fake.jobs.slice(before);
    expect(jobs.map((job) => job.sql.split(' ')[0])).toEqual(['BEGIN', 'SELECT', 'DELETE', 'COMMIT', 'CALL']);
    expect(usage).toEqual(total(jobs));
    expect(usage.bytesBilled).toBeGreaterThan(0);
  });
});

describe('the bytes a BigQuery run records in sync_runs', () => {
  let world: World;
  let braze: RunningEmulator;
  let fake: FakeBigQuery;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const made = await fakeBigQueryAudience(dir, 1, 1500);
    fake = made.fake;
    world = new World(dir, made.warehouse, braze, [
      { name: 'vip', query: `SELECT external_id FROM \`${made.data}.audience\`` },
    ]);
  });

  /**
   * The run builds its final audit write inside the transaction that applies the snapshot, but with
   * `deferredTransactions` none of that transaction's statements has run yet: the run records the bytes
   * again once it committed, or the apply's own bytes, the largest of an incremental run, would be lost.
   */
  it('include the snapshot apply, which runs in a deferred transaction with the final audit write', async () => {
    const since = fake.jobs.length;
    const report = await world.runOne();
    expect(report).toMatchObject({ status: 'succeeded', added: 1500 });
    // The run's jobs: from its lock (the first session after the migrations) through its last snapshot apply.
    const after = fake.jobs.slice(since);
    const first = after.findIndex((job) => job.sessionId !== undefined);
    const applies = after.flatMap((job, index) =>
      /`cohort_snapshot`/.test(job.sql) && /^BEGIN TRANSACTION;/.test(job.sql) ? [index] : [],
    );
    expect(first).toBeGreaterThanOrEqual(0);
    expect(applies.length).toBeGreaterThan(0);
    const expected = total(after.slice(first, applies.at(-1)! + 1));
    const [row] = await world.query<{ bytes_processed: number; bytes_billed: number }>(
      `SELECT bytes_processed, bytes_billed FROM \`$state.sync_runs\` WHERE run_id = '${report.run_id}'`,
    );
    expect(row).toEqual({ bytes_processed: expected.bytesProcessed, bytes_billed: expected.bytesBilled });
  });
});
