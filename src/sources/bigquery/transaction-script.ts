import type { CompiledQuery } from 'kysely';

/** A GoogleSQL script and its named parameters (`@p0`, `@p1`, …). */
export interface Script {
  sql: string;
  parameters: Record<string, unknown>;
}

/**
 * Statements that only write, as one multi-statement transaction in one script job:
 * `BEGIN TRANSACTION; …; COMMIT TRANSACTION;`. BigQuery runs the script to its end on its own side and
 * rolls the transaction back if any statement fails, so a client that dies while it runs leaves no open
 * transaction behind. Positional parameters become named ones numbered across the script.
 */
export function transactionScript(statements: readonly CompiledQuery[]): Script {
  const parameters: Record<string, unknown> = {};
  let next = 0;
  const bodies = statements.map((statement) => {
    let index = 0;
    return namePlaceholders(statement.sql, () => {
      const name = `p${next++}`;
      parameters[name] = statement.parameters[index++];
      return `@${name}`;
    });
  });
  return { sql: ['BEGIN TRANSACTION', ...bodies, 'COMMIT TRANSACTION'].join(';\n') + ';', parameters };
}

/** Replaces each `?` outside quoted literals and identifiers (the compiler's placeholders) with `name()`. */
function namePlaceholders(sql: string, name: () => string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i]!;
    if (quote !== undefined) {
      out += char;
      if (char === '\\') out += sql[++i] ?? '';
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char;
      out += char;
    } else {
      out += char === '?' ? name() : char;
    }
  }
  return out;
}
