/** A dollar-quote opening (`$$` or `$tag$`, PostgreSQL and DuckDB), not inside an identifier such as `a$b`. */
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;
const IDENTIFIER_CHAR = /[A-Za-z0-9_$]/;

/**
 * A SQL statement without the semicolons after its end (`SELECT 1; -- the VIPs` is `SELECT 1 -- the VIPs`),
 * so that it can be embedded as a subquery, where a `;` would end the enclosing statement. Comments are
 * kept, after the end too (they may carry a query tag); whoever embeds the statement closes it on a new
 * line, after any `--` comment. Quoted text is kept as written; when the scan cannot tell where a quote or
 * comment ends (it is not closed), nothing after it is removed, and the warehouse reports the statement.
 */
export function trimStatement(statement: string): string {
  const end = statementEnd(statement);
  let tail = '';
  for (let i = end; i < statement.length;) {
    const skip = commentEnd(statement, i);
    if (skip > i) {
      tail += statement.slice(i, skip);
      i = skip;
    } else {
      if (statement[i] !== ';') tail += statement[i];
      i++;
    }
  }
  return (statement.slice(0, end) + tail).trimEnd();
}

/** Whether a statement holds anything besides whitespace, comments and semicolons. */
export function isEmptyStatement(statement: string): boolean {
  return statementEnd(statement) === 0;
}

/** The index after the statement's last character that is not whitespace, a comment or a semicolon. */
function statementEnd(statement: string): number {
  let end = 0;
  for (let i = 0; i < statement.length;) {
    const char = statement[i]!;
    const skip = commentEnd(statement, i);
    if (skip < 0) return statement.length;
    if (skip > i) {
      i = skip;
    } else if (char === "'" || char === '"' || char === '`') {
      i = end = quoteEnd(statement, i);
    } else if (char === '$' && !IDENTIFIER_CHAR.test(statement[i - 1] ?? ' ') && dollarTag(statement, i)) {
      i = end = dollarQuoteEnd(statement, i);
    } else {
      i++;
      if (char !== ';' && !/\s/.test(char)) end = i;
    }
  }
  return end;
}

/** The index after a comment that starts at `start`; `start` when none does there; -1 when it is not closed. */
function commentEnd(text: string, start: number): number {
  if (text.startsWith('--', start)) {
    const newline = text.indexOf('\n', start);
    return newline < 0 ? text.length : newline + 1;
  }
  if (text.startsWith('/*', start)) {
    const close = text.indexOf('*/', start + 2);
    return close < 0 ? -1 : close + 2;
  }
  return start;
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
