import { BIGINT, BOOLEAN, DATE, DECIMAL, DOUBLE, HUGEINT, LIST, UUID, VARCHAR } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { isIdentifierType } from '../../src/sources/duckdb/duckdb-column-types.js';
import { describePgColumnType } from '../../src/sources/postgres/postgres-column-types.js';

describe('which column types make usable identifiers', () => {
  it('DuckDB: text, whole numbers (DECIMAL with scale 0 too) and UUIDs; not booleans, floats, fractions, dates, lists', () => {
    for (const type of [VARCHAR, BIGINT, HUGEINT, UUID, DECIMAL(38, 0)])
      expect(isIdentifierType(type)).toBe(true);
    for (const type of [BOOLEAN, DOUBLE, DECIMAL(10, 2), DATE, LIST(VARCHAR)])
      expect(isIdentifierType(type)).toBe(false);
  });

  it('PostgreSQL: by type OID and modifier; numeric(p,0) passes, unconstrained numeric passes with its values checked, numeric(p,s) does not', () => {
    const numeric = (precision: number, scale: number) => ((precision << 16) | scale) + 4;
    expect(describePgColumnType(25, -1)).toEqual({ type: 'text', identifier: true });
    expect(describePgColumnType(20, -1)).toEqual({ type: 'bigint', identifier: true });
    expect(describePgColumnType(2950, -1)).toEqual({ type: 'uuid', identifier: true });
    expect(describePgColumnType(1700, numeric(38, 0))).toEqual({ type: 'numeric(38,0)', identifier: true });
    expect(describePgColumnType(1700, -1)).toEqual({
      type: 'numeric',
      identifier: true,
      fractionPossible: true,
    });
    expect(describePgColumnType(1700, numeric(10, 2))).toEqual({ type: 'numeric(10,2)', identifier: false });
    expect(describePgColumnType(16, -1)).toEqual({ type: 'boolean', identifier: false });
    expect(describePgColumnType(701, -1)).toEqual({ type: 'double precision', identifier: false });
    expect(describePgColumnType(1009, -1)).toEqual({ type: 'type oid 1009', identifier: false }); // text[]
    expect(describePgColumnType(41234, -1)).toMatchObject({ identifier: true }); // an enum, a domain, citext
  });
});
