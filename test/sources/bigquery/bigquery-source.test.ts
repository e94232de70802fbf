import { OAuth2Client } from 'google-auth-library';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WarehouseError } from '../../../src/errors.js';
import {
  BigQuerySource,
  type BigQueryWarehouseConfig,
} from '../../../src/sources/bigquery/bigquery-source.js';
import { FakeBigQuery } from '../../support/fake-bigquery/fake-bigquery.js';

const TOKEN = 'ya29.fake-access-token';

/** An OAuth2 client that holds a valid-looking access token, so the SDK never asks Google for one. */
function fakeCredentials(token = TOKEN): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

describe('the BigQuery source, through the real SDK against the fake', () => {
  let fake: FakeBigQuery;
  let config: BigQueryWarehouseConfig;
  let source: BigQuerySource;
  const run = (text: string) => source.execute(sql.raw(text).compile(source.db));

  beforeAll(async () => {
    fake = await FakeBigQuery.start({ token: TOKEN });
    config = {
      type: 'bigquery',
      project_id: fake.project,
      location: 'EU',
      api_endpoint: fake.url,
      stage_expiration_hours: 24,
    };
    source = BigQuerySource.open(config, { authClient: fakeCredentials() });
    await fake.exec('CREATE SCHEMA ds');
    await fake.exec(`CREATE TABLE ds.t AS SELECT * FROM (VALUES
      ('a', 9007199254740993, CAST(1.5 AS FLOAT64), true, TIMESTAMP '2026-01-02 03:04:05.678+00'),
      ('b', -3, NULL, false, NULL),
      ('c', 42, 2.0, NULL, NULL),
      ('d', 7, 0.5, true, NULL),
      ('e', 8, 0.25, false, NULL)
    ) AS v(name, big, ratio, flag, seen_at)`);
  });
  afterAll(() => fake.stop());

  it('streams a result page by page with exact INT64, FLOAT64, BOOL and TIMESTAMP values', async () => {
    const chunks: unknown[][][] = [];
    for await (const chunk of source.stream(
      sql.raw('SELECT * FROM `ds.t` ORDER BY name').compile(source.db),
      {
        chunkRows: 2,
      },
    ))
      chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.length)).toEqual([2, 2, 1]);
    expect(chunks[0]).toEqual([
      ['a', '9007199254740993', 1.5, true, new Date('2026-01-02T03:04:05.678Z')],
      ['b', -3, null, false, null],
    ]);
  });

  it('waits for a job that answers jobComplete: false, and reads the bytes from jobs.get', async () => {
    fake.pendingPolls = 2;
    try {
      const rows = await run('SELECT COUNT(*) AS n FROM `ds.t`');
      expect(rows).toEqual([{ n: 5 }]);
    } finally {
      fake.pendingPolls = 0;
    }
  });

  it('describes the columns of a query with a dry run, and which make ids', async () => {
    const before = fake.jobs.length;
    const columns = await source.describeColumns('SELECT name, big, ratio, flag, seen_at FROM `ds.t`;');
    expect(columns).toEqual([
      { name: 'name', type: 'STRING', identifier: true },
      { name: 'big', type: 'INTEGER', identifier: true },
      { name: 'ratio', type: 'FLOAT', identifier: false },
      { name: 'flag', type: 'BOOLEAN', identifier: false },
      { name: 'seen_at', type: 'TIMESTAMP', identifier: false },
    ]);
    expect(fake.jobs.length).toBe(before); // a dry run is no query job
  });

  it('sends a transaction that only writes as one script job, all of it or nothing', async () => {
    await run('CREATE TABLE `ds.tx` (v STRING, n INT64)');
    const insert = (value: string, column = 'v') =>
      source.db
        .insertInto('ds.tx')
        .values({ [column]: value })
        .compile();
    const before = fake.jobs.length;
    await source.transaction(async (tx) => {
      await tx.execute(insert('kept'));
      await tx.execute(insert("kept's too"));
    });
    expect(fake.jobs.slice(before).map((job) => [job.sql, job.parameters])).toEqual([
      [
        'BEGIN TRANSACTION;\ninsert into `ds`.`tx` (`v`) values (@p0);\ninsert into `ds`.`tx` (`v`) values (@p1);\nCOMMIT TRANSACTION;',
        ['kept', "kept's too"],
      ],
    ]);
    const failing = source.transaction(async (tx) => {
      await tx.execute(insert('lost'));
      await tx.execute(insert('lost too', 'no_such_column'));
    });
    await expect(failing).rejects.toThrow(/no_such_column/);
    expect(await run('SELECT v FROM `ds.tx` ORDER BY v')).toEqual([{ v: 'kept' }, { v: "kept's too" }]);
  });

  it('runs a transaction that reads in a session, statement by statement, and rolls it back on failure', async () => {
    await run('CREATE TABLE `ds.session_tx` (v STRING)');
    const before = fake.jobs.length;
    const seen = await source.transaction(async (tx) => {
      await tx.execute(sql.raw("INSERT INTO `ds.session_tx` (v) VALUES ('kept')").compile(source.db));
      return tx.execute(sql.raw('SELECT COUNT(*) AS n FROM `ds.session_tx`').compile(source.db));
    });
    expect(seen).toEqual([{ n: 1 }]); // the transaction reads its own write
    const failing = source.transaction(async (tx) => {
      await tx.execute(sql.raw("INSERT INTO `ds.session_tx` (v) VALUES ('lost')").compile(source.db));
      await tx.execute(sql.raw('SELECT no_such_column FROM `ds.session_tx`').compile(source.db));
    });
    await expect(failing).rejects.toThrow(/no_such_column/);
    expect(await run('SELECT v FROM `ds.session_tx`')).toEqual([{ v: 'kept' }]);
    const sessionJobs = fake.jobs.slice(before).filter((job) => job.sessionId !== undefined);
    expect(sessionJobs.map((job) => job.sql.split(' ')[0])).toEqual([
      ...['BEGIN', 'INSERT', 'SELECT', 'COMMIT', 'CALL'],
      ...['BEGIN', 'INSERT', 'SELECT', 'ROLLBACK', 'CALL'],
    ]);
    expect(fake.openSessions).toBe(0);
  });

  it('a transaction BigQuery cancels for a concurrent update runs again, after the other one commits', async () => {
    await run('CREATE TABLE `ds.counter` (name STRING, n INT64)');
    await run("INSERT INTO `ds.counter` (name, n) VALUES ('a', 0)");
    const update = (step: number) =>
      sql.raw(`UPDATE \`ds.counter\` SET n = n + ${step} WHERE name = 'a'`).compile(source.db);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstUpdated = false;
    const read = sql.raw('SELECT n FROM `ds.counter`').compile(source.db); // a read: a session transaction
    const first = source.transaction(async (tx) => {
      await tx.execute(read);
      await tx.execute(update(1));
      firstUpdated = true;
      await held;
    });
    await vi.waitFor(() => expect(firstUpdated).toBe(true), { timeout: 30_000 });
    const conflictsBefore = fake.conflicts;
    fake.onConflict = release; // the first one commits as soon as the second is cancelled
    let attempts = 0;
    const second = source.transaction(async (tx) => {
      await tx.execute(read);
      attempts++;
      await tx.execute(update(10));
    });
    await Promise.all([first, second]);
    fake.onConflict = undefined;
    expect(fake.conflicts).toBeGreaterThan(conflictsBefore);
    expect(attempts).toBe(fake.conflicts - conflictsBefore + 1);
    expect(await run('SELECT n FROM `ds.counter`')).toEqual([{ n: 11 }]);
    expect(fake.openSessions).toBe(0);
  });

  it('a syntax error becomes a WarehouseError with BigQuery’s message and reason', async () => {
    const error = await run('SELEC 1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WarehouseError);
    expect(error).toMatchObject({ code: 'WAREHOUSE_ERROR', retryable: false });
    expect((error as Error).message).toMatch(/syntax error.*\(invalidQuery\)/i);
  });

  it('refused credentials become WAREHOUSE_AUTH, saying where credentials come from, without the token', async () => {
    const stranger = BigQuerySource.open(config, { authClient: fakeCredentials('ya29.someone-else') });
    const error = await stranger
      .execute(sql.raw('SELECT 1').compile(stranger.db))
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'WAREHOUSE_AUTH' });
    expect((error as Error).message).toMatch(
      /refused the credentials for project fake-project \(EU\).*key_file/,
    );
    expect((error as Error).message).not.toContain('someone-else');
  });

  it('permission and quota errors get their own codes; a quota error is retryable', async () => {
    fake.failNext(/permission_probe/, {
      status: 403,
      reason: 'accessDenied',
      message: 'Access Denied: Project fake-project: User does not have bigquery.jobs.create permission',
    });
    fake.failNext(/quota_probe/, {
      status: 400,
      reason: 'bytesBilledLimitExceeded',
      message: 'Query exceeded limit for bytes billed: 1000. 10485760 or higher required.',
    });
    await expect(run('SELECT 1 AS permission_probe')).rejects.toMatchObject({
      code: 'WAREHOUSE_PERMISSION',
      message: expect.stringContaining('roles cohort-sync needs') as unknown,
    });
    await expect(run('SELECT 1 AS quota_probe')).rejects.toMatchObject({
      code: 'WAREHOUSE_COST_LIMIT',
      message: expect.stringContaining('maximum_bytes_billed') as unknown,
    });
  });

  it('cancels a job that outlives job_timeout_seconds and reports WAREHOUSE_TIMEOUT', async () => {
    const impatient = BigQuerySource.open(
      { ...config, job_timeout_seconds: 0.2 },
      { authClient: fakeCredentials() },
    );
    fake.pendingPolls = 1_000_000;
    try {
      const error = await impatient
        .execute(sql.raw('SELECT 1 AS slow').compile(impatient.db))
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'WAREHOUSE_TIMEOUT' });
      expect(fake.jobs.at(-1)).toMatchObject({ sql: 'SELECT 1 AS slow', cancelled: true });
    } finally {
      fake.pendingPolls = 0;
    }
  });

  it('sends maximum_bytes_billed with every job', async () => {
    const capped = BigQuerySource.open(
      { ...config, maximum_bytes_billed: 50_000_000 },
      { authClient: fakeCredentials() },
    );
    await capped.execute(sql.raw('SELECT 1 AS capped').compile(capped.db));
    expect(fake.jobs.at(-1)).toMatchObject({ sql: 'SELECT 1 AS capped', maximumBytesBilled: '50000000' });
  });
});
