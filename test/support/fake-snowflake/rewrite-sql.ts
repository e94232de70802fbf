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

/**
 * Applies {@link REWRITES} outside string constants, whose backslash escapes are decoded (Snowflake reads
 * `'a\\b'` as one backslash and `'\n'` as a newline; DuckDB reads backslashes as they are). A SYSTEM$WAIT
 * call becomes the text it returns, with the wait reported.
 */
export function rewriteSql(sql: string): RewrittenSql {
  let waitSeconds = 0;
  const parts = splitStrings(sql).map((part) => {
    if (part.startsWith("'")) return `'${decodeEscapes(part.slice(1, -1)).replace(/'/g, "''")}'`;
    let text = part.replace(WAIT, (_match, seconds: string) => {
      waitSeconds += Number(seconds);
      return `'waited ${seconds} seconds'`;
    });
    for (const rule of REWRITES) text = text.replace(rule.from, rule.to);
    return text;
  });
  return { sql: parts.join(''), waitSeconds };
}

/** SQL split into single-quoted string constants (quotes included) and the text between them (comments and quoted names included). */
function splitStrings(sql: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let index = 0;
  while (index < sql.length) {
    const char = sql[index];
    if (char === '"') {
      index = sql.indexOf('"', index + 1) + 1 || sql.length;
    } else if (char === '-' && sql[index + 1] === '-') {
      index = sql.indexOf('\n', index) + 1 || sql.length;
    } else if (char === '/' && sql[index + 1] === '*') {
      index = sql.indexOf('*/', index) + 2 || sql.length;
    } else if (char === "'") {
      parts.push(sql.slice(start, index));
      let end = index + 1;
      while (end < sql.length) {
        if (sql[end] === '\\') end += 2;
        else if (sql[end] === "'" && sql[end + 1] === "'") end += 2;
        else if (sql[end] === "'") break;
        else end++;
      }
      parts.push(sql.slice(index, end + 1));
      index = start = end + 1;
    } else {
      index++;
    }
  }
  parts.push(sql.slice(start));
  return parts;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '0': '\0' };

/** The characters a Snowflake string constant's body stands for: `''` and backslash escapes decoded. */
function decodeEscapes(body: string): string {
  return body.replace(
    /''|\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\s\S])/g,
    (match, escape: string | undefined) => {
      if (match === "''" || escape === undefined) return "'";
      if (escape.length > 1) return String.fromCharCode(parseInt(escape.slice(1), 16));
      return ESCAPES[escape] ?? escape;
    },
  );
}
