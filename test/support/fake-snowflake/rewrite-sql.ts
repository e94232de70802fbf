/**
 * The fake runs the SQL it receives on DuckDB after these rewrites, and no others. Each maps a Snowflake
 * spelling that cohort-sync or the tests use onto DuckDB's; everything else must already be SQL that both
 * engines read alike. Kept small on purpose: every rule is a place where the fake proves less.
 */
export const REWRITES: readonly { why: string; from: RegExp; to: string }[] = [
  { why: 'DuckDB has no transient tables', from: /\bCREATE\s+TRANSIENT\s+TABLE\b/gi, to: 'CREATE TABLE' },
  { why: 'MINUS is Snowflake’s name for EXCEPT', from: /\bMINUS\b/gi, to: 'EXCEPT' },
  { why: 'TIMESTAMP_TZ is DuckDB’s TIMESTAMPTZ', from: /\bTIMESTAMP_TZ\b/gi, to: 'TIMESTAMPTZ' },
  {
    why: 'Snowflake does not enforce primary keys; DuckDB would refuse a second lease row',
    from: /\s+PRIMARY\s+KEY\b/gi,
    to: '',
  },
  {
    why: 'a row generator (the tests’ audiences): GENERATOR(ROWCOUNT => n) becomes range(n)',
    from: /\bTABLE\s*\(\s*GENERATOR\s*\(\s*ROWCOUNT\s*=>\s*(\d+)\s*\)\s*\)/gi,
    to: 'range($1) AS generator(seq4)',
  },
  { why: 'SEQ4() numbers the generated rows from 0', from: /\bSEQ4\s*\(\s*\)/gi, to: 'generator.seq4' },
];

/** `SYSTEM$WAIT(n)`: the fake answers the statement n seconds late, through the async result protocol. */
const WAIT = /\bSYSTEM\$WAIT\s*\(\s*(\d+)\s*\)/gi;

export interface RewrittenSql {
  sql: string;
  /** Seconds the statement asked to wait (SYSTEM$WAIT), 0 when none. */
  waitSeconds: number;
}

/** Applies {@link REWRITES}; a SYSTEM$WAIT call becomes the text it returns, with the wait reported. */
export function rewriteSql(sql: string): RewrittenSql {
  let waitSeconds = 0;
  let text = sql.replace(WAIT, (_match, seconds: string) => {
    waitSeconds += Number(seconds);
    return `'waited ${seconds} seconds'`;
  });
  for (const rule of REWRITES) text = text.replace(rule.from, rule.to);
  return { sql: text, waitSeconds };
}
