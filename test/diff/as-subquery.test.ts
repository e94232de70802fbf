import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asSubquery } from '../../src/diff/stage-statements.js';
import { DuckDbSource } from '../../src/sources/duckdb/duckdb-source.js';

describe('the user SQL embedded as a subquery', () => {
  let source: DuckDbSource;
  beforeAll(async () => {
    source = await DuckDbSource.open({ path: ':memory:' });
  });
  afterAll(() => source.close());

  it.each([
    ['SELECT 1 AS external_id;', 'SELECT 1 AS external_id\n'],
    ['SELECT 1 AS external_id; -- the VIPs', 'SELECT 1 AS external_id -- the VIPs\n'],
    ['SELECT 1 AS external_id -- the VIPs\n;;\n', 'SELECT 1 AS external_id -- the VIPs\n'],
    ['SELECT 1 AS external_id; /* the VIPs */ ;', 'SELECT 1 AS external_id /* the VIPs */\n'],
  ])('drops the semicolons that would end the enclosing statement: %j', async (query, expected) => {
    expect(asSubquery(query)).toBe(expected);
    const rows = await source.execute(
      sql.raw(`SELECT * FROM (${asSubquery(query)}) AS q`).compile(source.db),
    );
    expect(rows).toEqual([{ external_id: 1 }]);
  });

  it('keeps a comment inside the query, ending its line before the closing parenthesis', async () => {
    const query = "SELECT '--not a comment' AS external_id -- a comment\nWHERE TRUE";
    const rows = await source.execute(
      sql.raw(`SELECT * FROM (${asSubquery(query)}) AS q`).compile(source.db),
    );
    expect(rows).toEqual([{ external_id: '--not a comment' }]);
  });
});
