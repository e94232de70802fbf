/**
 * The fake's whole translation of GoogleSQL to DuckDB SQL, token by token (strings and comments are never
 * touched by the word rules). It covers what cohort-sync generates and what the tests' audience queries
 * use, nothing more:
 *
 * - `` `project.dataset.table` `` and `` `dataset`.`table` `` → `"dataset"."table"` (the fake's own project is dropped)
 * - string literals with backslash escapes (`'it\'s'`, `"a\nb"`) → DuckDB literals (`'it''s'`)
 * - types: STRING → VARCHAR, INT64 → BIGINT, FLOAT64 → DOUBLE, BOOL → BOOLEAN, BYTES → BLOB,
 *   TIMESTAMP → TIMESTAMPTZ (BigQuery's TIMESTAMP is an instant)
 * - `EXCEPT DISTINCT` / `UNION DISTINCT` / `INTERSECT DISTINCT` → without DISTINCT (DuckDB's default)
 * - `OPTIONS (…)` clauses → removed, and returned (stage table expiration), so tests can check them
 * - named parameters `@name` → DuckDB's `$name`; a script (`BEGIN TRANSACTION; …; COMMIT TRANSACTION;`) is
 *   split into its statements by {@link splitStatements}
 * - `` `dataset`.INFORMATION_SCHEMA.TABLES `` → DuckDB's `information_schema.tables` of that schema, failing
 *   with BigQuery's "Not found: Dataset" when the dataset does not exist
 * - `CURRENT_TIMESTAMP()` → `CURRENT_TIMESTAMP`; `GENERATE_ARRAY` → `generate_series`;
 *   `UNNEST(x) AS i` → `unnest(x) AS _unnest(i)` (BigQuery names the element column after the alias)
 *
 * Anything else is passed as it is, so GoogleSQL the fake does not know fails as a DuckDB error, which the
 * fake returns as BigQuery's `invalidQuery`. `BEGIN/COMMIT/ROLLBACK TRANSACTION` are valid in both.
 */
export interface RewrittenSql {
  sql: string;
  /** The text inside each `OPTIONS (…)` clause, in order. */
  options: string[];
}

const TYPES: Readonly<Record<string, string>> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  BOOL: 'BOOLEAN',
  BYTES: 'BLOB',
  TIMESTAMP: 'TIMESTAMPTZ',
  GENERATE_ARRAY: 'generate_series',
};

const SET_OPERATORS = new Set(['EXCEPT', 'UNION', 'INTERSECT']);

type Token = { kind: 'word' | 'quoted' | 'string' | 'space' | 'other'; text: string };

export function rewriteSql(sql: string, project: string): RewrittenSql {
  const tokens = tokenize(sql);
  const out: string[] = [];
  const options: string[] = [];
  let previousWord = '';
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind === 'word') {
      const upper = token.text.toUpperCase();
      if (upper === 'DISTINCT' && SET_OPERATORS.has(previousWord)) {
        previousWord = upper;
        continue;
      }
      if (upper === 'OPTIONS' && nextSignificant(tokens, index)?.text === '(') {
        const end = closingParen(tokens, nextSignificantIndex(tokens, index));
        options.push(
          tokens
            .slice(nextSignificantIndex(tokens, index) + 1, end)
            .map((t) => t.text)
            .join(''),
        );
        index = end;
        continue;
      }
      if (
        upper === 'CURRENT_TIMESTAMP' &&
        tokens[index + 1]?.text === '(' &&
        tokens[index + 2]?.text === ')'
      ) {
        out.push('CURRENT_TIMESTAMP');
        index += 2;
        previousWord = upper;
        continue;
      }
      if (upper === 'UNNEST' && tokens[index + 1]?.text === '(') {
        const end = closingParen(tokens, index + 1);
        const inner = rewriteSql(
          tokens
            .slice(index + 2, end)
            .map((t) => t.text)
            .join(''),
          project,
        ).sql;
        const as = nextSignificantIndex(tokens, end);
        const alias = as >= 0 ? nextSignificantIndex(tokens, as) : -1;
        const aliasToken = tokens[alias];
        if (tokens[as]?.text.toUpperCase() === 'AS' && aliasToken?.kind === 'word') {
          out.push(`unnest(${inner}) AS _unnest(${aliasToken.text})`);
          index = alias;
        } else {
          out.push(`unnest(${inner})`);
          index = end;
        }
        previousWord = 'UNNEST';
        continue;
      }
      out.push(TYPES[upper] ?? token.text);
      previousWord = upper;
    } else if (token.kind === 'quoted' && isInformationSchemaTables(tokens, index)) {
      out.push(datasetTables(unescapeString(token.text)));
      index += 4;
      previousWord = '';
    } else if (token.kind === 'quoted') {
      out.push(quotedPath(token.text, project));
      previousWord = '';
    } else if (token.kind === 'string') {
      out.push(`'${unescapeString(token.text).replaceAll("'", "''")}'`);
      previousWord = '';
    } else {
      // DuckDB would bind PostgreSQL's $1; BigQuery knows only ? and @name.
      if (token.text === '$' && /^\d/.test(tokens[index + 1]?.text ?? ''))
        throw new Error('Syntax error: Unexpected "$" (BigQuery parameters are ? or @name)');
      out.push(token.text === '@' && tokens[index + 1]?.kind === 'word' ? '$' : token.text);
      if (token.kind !== 'space') previousWord = '';
    }
  }
  return { sql: out.join(''), options };
}

/** The statements of a rewritten (DuckDB) script, split at `;` outside quotes; empty ones dropped. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === ';') {
      statements.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  statements.push(sql.slice(start));
  return statements.map((statement) => statement.trim()).filter((statement) => statement !== '');
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    const start = i;
    if (/\s/.test(char)) {
      while (i < sql.length && /\s/.test(sql[i]!)) i++;
      tokens.push({ kind: 'space', text: sql.slice(start, i) });
    } else if (char === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      tokens.push({ kind: 'space', text: ' ' });
    } else if (char === '#') {
      while (i < sql.length && sql[i] !== '\n') i++;
      tokens.push({ kind: 'space', text: ' ' });
    } else if (char === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      tokens.push({ kind: 'space', text: ' ' });
    } else if (char === '`' || char === "'" || char === '"') {
      i++;
      while (i < sql.length && sql[i] !== char) i += sql[i] === '\\' ? 2 : 1;
      i++;
      tokens.push({ kind: char === '`' ? 'quoted' : 'string', text: sql.slice(start + 1, i - 1) });
    } else if (/[A-Za-z_]/.test(char)) {
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i]!)) i++;
      tokens.push({ kind: 'word', text: sql.slice(start, i) });
    } else {
      i++;
      tokens.push({ kind: 'other', text: char });
    }
  }
  return tokens;
}

function unescapeString(text: string): string {
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0' };
  return text.replace(/\\(.)/gs, (_, char: string) => escapes[char] ?? char);
}

/** Whether the quoted name at `index` is followed by `.INFORMATION_SCHEMA.TABLES`. */
function isInformationSchemaTables(tokens: readonly Token[], index: number): boolean {
  const words = tokens.slice(index + 1, index + 5).map((token) => token.text.toUpperCase());
  return words.join('') === '.INFORMATION_SCHEMA.TABLES';
}

/** The tables and views of a dataset as BigQuery's dataset-qualified view lists them; an error if it is missing. */
function datasetTables(dataset: string): string {
  const name = `'${dataset.replaceAll("'", "''")}'`;
  const missing = `'Not found: Dataset ${dataset.replaceAll("'", "''")} was not found'`;
  return (
    `(SELECT t.table_name, t.table_type FROM information_schema.tables AS t WHERE t.table_schema = ${name} AND ` +
    `(SELECT CASE WHEN COUNT(*) = 0 THEN error(${missing}) ELSE true END FROM information_schema.schemata WHERE schema_name = ${name}))`
  );
}

/** A backtick-quoted name or path as DuckDB double-quoted parts. */
function quotedPath(text: string, project: string): string {
  const parts = unescapeString(text).split('.');
  if (parts.length === 3 && parts[0] === project) parts.shift();
  return parts.map((part) => `"${part.replaceAll('"', '""')}"`).join('.');
}

function nextSignificantIndex(tokens: readonly Token[], index: number): number {
  for (let next = index + 1; next < tokens.length; next++) if (tokens[next]!.kind !== 'space') return next;
  return -1;
}

function nextSignificant(tokens: readonly Token[], index: number): Token | undefined {
  return tokens[nextSignificantIndex(tokens, index)];
}

function closingParen(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let index = open; index < tokens.length; index++) {
    if (tokens[index]!.text === '(') depth++;
    else if (tokens[index]!.text === ')' && --depth === 0) return index;
  }
  return tokens.length - 1;
}
