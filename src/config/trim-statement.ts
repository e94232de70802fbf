/** A dollar-quote opening (`$$` or `$tag$`, PostgreSQL and DuckDB), not inside an identifier such as `a$b`. */
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;
const IDENTIFIER_CHAR = /[A-Za-z0-9_$]/;

/**
 * A SQL statement without what may follow its end: semicolons, whitespace and comments, so that the
 * statement can be embedded as a subquery (`SELECT 1; -- the VIPs` is `SELECT 1`). Quoted text and comments
 * inside the statement are kept as written. When the scan cannot be sure where a quote or comment ends (it
 * is not closed), nothing is removed after it, and the warehouse reports the statement as it was written.
 */
export function trimStatement(statement: string): string {
  let end = 0;
  for (let i = 0; i < statement.length;) {
    const char = statement[i]!;
    const next = statement[i + 1];
    if (char === '-' && next === '-') {
      const newline = statement.indexOf('\n', i);
      i = newline < 0 ? statement.length : newline + 1;
    } else if (char === '/' && next === '*') {
      const close = statement.indexOf('*/', i + 2);
      if (close < 0) return statement.trimEnd();
      i = close + 2;
    } else if (char === "'" || char === '"' || char === '`') {
      i = quoteEnd(statement, i);
      end = i;
    } else if (char === '$' && !IDENTIFIER_CHAR.test(statement[i - 1] ?? ' ') && dollarTag(statement, i)) {
      i = dollarQuoteEnd(statement, i);
      end = i;
    } else {
      i++;
      if (char !== ';' && !/\s/.test(char)) end = i;
    }
  }
  return statement.slice(0, end);
}

/** The index after the quote that opens at `start`: doubled quotes and backslash escapes stay inside. */
function quoteEnd(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) {
      if (text[i + 1] !== quote) return i + 1;
      i++;
    }
  }
  return text.length;
}

function dollarTag(text: string, start: number): string | undefined {
  DOLLAR_TAG.lastIndex = start;
  return DOLLAR_TAG.exec(text)?.[0];
}

function dollarQuoteEnd(text: string, start: number): number {
  const tag = dollarTag(text, start)!;
  const close = text.indexOf(tag, start + tag.length);
  return close < 0 ? text.length : close + tag.length;
}
