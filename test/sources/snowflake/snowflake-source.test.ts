import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Source } from '../../../src/sources/source.js';
import { labellingStatements } from '../../../src/sources/statement-labels.js';
import { createSource } from '../../../src/sources/create-source.js';
import { atEnd } from '../../support/cleanup.js';
import { snowflakeWarehouse } from '../../support/engines.js';
import { FAKE_SNOWFLAKE_PASSWORD, FAKE_SNOWFLAKE_USER } from '../../support/fake-snowflake/fake-login.js';
import { FakeSnowflake } from '../../support/fake-snowflake/fake-snowflake.js';

/** The Snowflake source on its own, through the real SDK against a fake that serves results in small chunks. */
describe('the Snowflake source', () => {
  let fake: FakeSnowflake;
  let source: Source;
  const run = (text: string) => source.execute(sql.raw(text).compile(source.db));

  beforeAll(async () => {
    fake = await FakeSnowflake.start({
      users: { [FAKE_SNOWFLAKE_USER]: { password: FAKE_SNOWFLAKE_PASSWORD } },
      inlineRows: 500,
      chunkRows: 1000,
    });
    source = await createSource(snowflakeWarehouse(fake.url, { statement_timeout_seconds: 600 }).config);
    atEnd(async () => {
      await source.close();
      await fake.close();
    });
  });

  it('streams a large result chunk by chunk: the first rows arrive before most chunks were fetched', async () => {
    const before = fake.chunksServed;
    const query = sql`SELECT SEQ4() AS n FROM TABLE(GENERATOR(ROWCOUNT => 50000))`.compile(source.db);
    let first: unknown[][] | undefined;
    let fetchedAtFirst = 0;
    let rows = 0;
    for await (const chunk of source.stream(query, { chunkRows: 2000 })) {
      if (!first) {
        first = chunk;
        fetchedAtFirst = fake.chunksServed - before;
      }
      rows += chunk.length;
    }
    expect(first?.slice(0, 3)).toEqual([[0], [1], [2]]);
    expect(rows).toBe(50000);
    expect(fake.chunksServed - before).toBe(50); // 500 rows inline, then 49.5 chunks of 1,000
    expect(fetchedAtFirst).toBeLessThan(10);
  });

  it('a stream stopped early fetches no more chunks', async () => {
    const before = fake.chunksServed;
    const query = sql`SELECT SEQ4() AS n FROM TABLE(GENERATOR(ROWCOUNT => 50000))`.compile(source.db);
    for await (const chunk of source.stream(query, { chunkRows: 100 })) {
      expect(chunk).toHaveLength(100);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.chunksServed - before).toBeLessThan(10);
  });

  it('returns rows keyed by lower-cased column name, whole numbers exact (as text past 2^53), NULL as null, timestamps as Dates', async () => {
    const [row] = await run(
      "SELECT CAST(9007199254740993 AS BIGINT) AS big, 42 AS small, CAST(2.5 AS DECIMAL(10,2)) AS fraction, CAST(NULL AS INTEGER) AS nothing, 'x' AS text, TRUE AS yes, CAST('2026-01-02T03:04:05Z' AS TIMESTAMP_TZ) AS at",
    );
    expect(row).toEqual({
      big: '9007199254740993',
      small: 42,
      fraction: 2.5,
      nothing: null,
      text: 'x',
      yes: true,
      at: new Date('2026-01-02T03:04:05Z'),
    });
  });

  it('describes a query from Snowflake’s compiler alone, with identifier verdicts by type', async () => {
    const before = fake.statements.length;
    const columns = await source.describeColumns(
      "SELECT 'a' AS external_id, 7 AS device_id, 1.5 AS score, TRUE AS flag, DATE '2026-01-01' AS day",
    );
    expect(columns).toEqual([
      { name: 'EXTERNAL_ID', type: 'VARCHAR', identifier: true },
      { name: 'DEVICE_ID', type: 'NUMBER(38,0)', identifier: true },
      { name: 'SCORE', type: 'NUMBER(2,1)', identifier: false },
      { name: 'FLAG', type: 'BOOLEAN', identifier: false },
      { name: 'DAY', type: 'DATE', identifier: false },
    ]);
    expect(fake.statements.slice(before).map((s) => s.describeOnly)).toEqual([true]);
  });

  it('commits a transaction whole, and rolls it back whole when its work fails', async () => {
    await run('CREATE SCHEMA IF NOT EXISTS tx_test');
    await run('CREATE TABLE tx_test.t (v INTEGER)');
    await source.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO tx_test.t VALUES (1)`.compile(source.db));
      await tx.execute(sql`INSERT INTO tx_test.t VALUES (2)`.compile(source.db));
    });
    await expect(
      source.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO tx_test.t VALUES (3)`.compile(source.db));
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(await run('SELECT v FROM tx_test.t ORDER BY v')).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('tags each statement with its run, allows it one statement, and sets the configured statement timeout on it', async () => {
    const before = fake.statements.length;
    await labellingStatements({ sync: 'vip', runId: 'run-123' }, () => run('SELECT 1 AS one'));
    await run('SELECT 2 AS two');
    expect(fake.statements.slice(before).map((s) => s.parameters)).toEqual([
      {
        QUERY_TAG: '{"app":"cohort-sync","sync":"vip","run_id":"run-123"}',
        MULTI_STATEMENT_COUNT: 1,
        STATEMENT_TIMEOUT_IN_SECONDS: 600,
      },
      { QUERY_TAG: '{"app":"cohort-sync"}', MULTI_STATEMENT_COUNT: 1, STATEMENT_TIMEOUT_IN_SECONDS: 600 },
    ]);
  });
});
