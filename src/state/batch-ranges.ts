import { sql, type Expression, type SqlBool } from 'kysely';

/** Sorted, merged inclusive ranges of batch numbers: [0,1,2,5] → [[0,2],[5,5]]. Keeps apply statements short. */
export function batchRanges(batches: Iterable<number>): [number, number][] {
  const sorted = [...new Set(batches)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const batch of sorted) {
    const last = ranges.at(-1);
    if (last && batch === last[1] + 1) last[1] = batch;
    else ranges.push([batch, batch]);
  }
  return ranges;
}

/** `batch BETWEEN a AND b OR …` over merged ranges. */
export function inBatchRanges(ranges: readonly [number, number][], column = 'batch'): Expression<SqlBool> {
  const parts = ranges.map(([low, high]) =>
    low === high
      ? sql<SqlBool>`${sql.ref(column)} = ${sql.lit(low)}`
      : sql<SqlBool>`${sql.ref(column)} BETWEEN ${sql.lit(low)} AND ${sql.lit(high)}`,
  );
  return sql<SqlBool>`(${sql.join(parts, sql` OR `)})`;
}
