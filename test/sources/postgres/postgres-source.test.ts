import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WarehouseConfig } from '../../../src/config/types.js';
import { WarehouseError } from '../../../src/errors.js';
import { PostgresSource } from '../../../src/sources/postgres/postgres-source.js';
import { TEST_POSTGRES_URL, adminQuery } from '../../support/postgres-server.js';

type PostgresConfig = Extract<WarehouseConfig, { type: 'postgres' }>;

const config = (extra: Partial<PostgresConfig> = {}): PostgresConfig => ({
  type: 'postgres',
  url: TEST_POSTGRES_URL,
  connect_timeout_seconds: 10,
  application_name: `cs_source_${randomUUID().slice(0, 8)}`,
  ...extra,
});

async function caught(work: () => Promise<unknown>): Promise<WarehouseError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof WarehouseError) return error;
    throw error;
  }
  throw new Error('expected a WarehouseError');
}

describe.skipIf(!inject('postgresAvailable'))('the PostgreSQL source', () => {
  let source: PostgresSource;
  const raw = (text: string) => sql.raw(text).compile(source.db);

  beforeAll(async () => {
    source = await PostgresSource.open(config());
  });
  afterAll(() => source.close());

  it('streams through a server-side cursor: the first chunk of a 100-million-row result arrives without reading the rest', async () => {
    const chunks: unknown[][][] = [];
    for await (const chunk of source.stream(raw('SELECT generate_series(1, 100000000) AS i, 7 AS seven'), {
      chunkRows: 1000,
    })) {
      chunks.push(chunk);
      if (chunks.length === 3) break;
    }
    expect(chunks.map((chunk) => chunk.length)).toEqual([1000, 1000, 1000]);
    expect(chunks[2]![999]).toEqual([3000, 7]); // rows as arrays in select-list order, integers as numbers
    // Leaving the loop early closed the portal and gave the connection back in a usable state.
    expect(await source.execute(raw('SELECT 1 AS ok'))).toEqual([{ ok: 1 }]);
  });

  it('a stream whose session is terminated while the consumer holds a chunk ends, without hanging, with an error or not at all', async () => {
    for (const settleMs of [0, 200]) {
      const marker = `cs_marker_${randomUUID().slice(0, 8)}`;
      const stream = source.stream(raw(`SELECT generate_series(1, 100000) AS i, '${marker}' AS m`), {
        chunkRows: 10,
      });
      let error: unknown;
      try {
        for await (const _chunk of stream) {
          await adminQuery(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`,
            [`%${marker}%`],
          );
          await new Promise((resolve) => setTimeout(resolve, settleMs));
          break;
        }
      } catch (caughtError) {
        error = caughtError;
      }
      if (error !== undefined) expect(error).toMatchObject({ code: 'WAREHOUSE_CONNECTION' });
      expect(await source.execute(raw('SELECT 3 AS three'))).toEqual([{ three: 3 }]);
    }
  });

  it('streams a result in chunks of at most chunkRows, the last one short, and nothing for an empty result', async () => {
    const sizes: number[] = [];
    for await (const chunk of source.stream(raw('SELECT generate_series(1, 25)'), { chunkRows: 10 }))
      sizes.push(chunk.length);
    expect(sizes).toEqual([10, 10, 5]);
    const empty: unknown[][][] = [];
    for await (const chunk of source.stream(raw('SELECT 1 WHERE false'))) empty.push(chunk);
    expect(empty).toEqual([]);
  });

  it('returns BIGINT, COUNT and whole NUMERIC as numbers when exact, and as decimal text past 2^53', async () => {
    const [row] = await source.execute(
      raw(
        `SELECT COUNT(*) AS n, CAST(42 AS BIGINT) AS big, SUM(CAST(x AS BIGINT)) AS total,
                CAST(9007199254740993 AS BIGINT) AS huge, CAST(1.5 AS NUMERIC) AS fraction, now() AS at
         FROM (VALUES (1), (2)) AS t(x)`,
      ),
    );
    expect(row).toMatchObject({ n: 2, big: 42, total: 3, huge: '9007199254740993', fraction: '1.5' });
    expect(row?.at).toBeInstanceOf(Date);
  });

  it('names the columns of a query without running it', async () => {
    const sequence = `public.cs_seq_${randomUUID().slice(0, 8)}`;
    await source.execute(raw(`CREATE SEQUENCE ${sequence}`));
    try {
      // Running the query would advance the sequence ten times; describing it must not advance it at all.
      const columns = await source.describeColumns(
        `SELECT nextval('${sequence}') AS external_id, 'x' AS "Device_Id" FROM generate_series(1, 10);  `,
      );
      expect(columns.map((column) => column.name)).toEqual(['external_id', 'Device_Id']);
      expect(await source.execute(raw(`SELECT last_value, is_called FROM ${sequence}`))).toEqual([
        { last_value: 1, is_called: false },
      ]);
    } finally {
      await source.execute(raw(`DROP SEQUENCE ${sequence}`));
    }
  });

  it('commits a transaction whole or not at all', async () => {
    const table = `cs_tx_${randomUUID().slice(0, 8)}`;
    await source.execute(raw(`CREATE TABLE public.${table} (x INTEGER)`));
    try {
      await expect(
        source.transaction(async (tx) => {
          await tx.execute(raw(`INSERT INTO public.${table} VALUES (1)`));
          await tx.execute(raw(`INSERT INTO public.${table} VALUES ('not a number')`));
        }),
      ).rejects.toThrow(/invalid input syntax for type integer.*SQLSTATE 22P02/);
      expect(await source.execute(raw(`SELECT COUNT(*) AS n FROM public.${table}`))).toEqual([{ n: 0 }]);
    } finally {
      await source.execute(raw(`DROP TABLE public.${table}`));
    }
  });

  it('turns the statement timeout into WAREHOUSE_TIMEOUT naming the config key', async () => {
    const limited = await PostgresSource.open(config({ statement_timeout_seconds: 0.2 }));
    try {
      const error = await caught(() => limited.execute(sql.raw('SELECT pg_sleep(5)').compile(limited.db)));
      expect(error.code).toBe('WAREHOUSE_TIMEOUT');
      expect(error.message).toMatch(/ran longer than 0.2 s \(warehouse\.statement_timeout_seconds\)/);
    } finally {
      await limited.close();
    }
  });

  it('fails to open with WAREHOUSE_CONNECTION naming the server, never a password, when nothing listens', async () => {
    const error = await caught(() =>
      PostgresSource.open(config({ url: 'postgres://someone:s3cret-pw@127.0.0.1:1/nowhere' })),
    );
    expect(error).toMatchObject({ code: 'WAREHOUSE_CONNECTION', retryable: true });
    expect(error.message).toMatch(
      /^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nowhere as someone: .*ECONNREFUSED/,
    );
    expect(error.message).not.toContain('s3cret-pw');
  });

  it('a session reports its loss when the server terminates it, and its statements fail with WAREHOUSE_CONNECTION', async () => {
    const session = await source.openSession();
    try {
      const [{ pid }] = (await session.execute(raw('SELECT pg_backend_pid() AS pid'))) as [{ pid: number }];
      await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
      const deadline = Date.now() + 5000;
      while (!session.lost.aborted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(session.lost.aborted).toBe(true);
      expect(session.lost.reason).toMatchObject({ code: 'WAREHOUSE_CONNECTION' });
      const error = await caught(() => session.execute(raw('SELECT 1')));
      expect(error.code).toBe('WAREHOUSE_CONNECTION');
    } finally {
      await session.close();
    }
    // The pool is unaffected.
    expect(await source.execute(raw('SELECT 2 AS two'))).toEqual([{ two: 2 }]);
  });
});
