import { DefaultQueryCompiler, type ColumnDefinitionNode, type DataTypeNode } from 'kysely';

/** Characters a GoogleSQL quoted literal or identifier must escape, with their escapes. */
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '`': '\\`',
  '\n': '\\n',
  '\r': '\\r',
};

/**
 * Compiles kysely's query tree to GoogleSQL (BigQuery standard SQL): identifiers in backticks, string
 * literals with backslash escapes (GoogleSQL has no `''` doubling, and a quoted literal may not span
 * lines), positional `?` parameters, and NULL as a literal (a NULL query parameter needs a declared type,
 * while an untyped NULL literal coerces to the column's type).
 */
export class BigQueryQueryCompiler extends DefaultQueryCompiler {
  protected override getLeftIdentifierWrapper(): string {
    return '`';
  }

  protected override getRightIdentifierWrapper(): string {
    return '`';
  }

  /** GoogleSQL positional parameters are `?` (kysely's default is PostgreSQL's `$1`). */
  protected override getCurrentParameterPlaceholder(): string {
    return '?';
  }

  protected override sanitizeIdentifier(identifier: string): string {
    return escape(identifier, /[\\`\n\r]/g);
  }

  protected override sanitizeStringLiteral(value: string): string {
    return escape(value, /[\\'\n\r]/g);
  }

  protected override appendValue(parameter: unknown): void {
    if (parameter === null || parameter === undefined) this.append('NULL');
    else super.appendValue(parameter);
  }

  /** BigQuery keys are never enforced (only `PRIMARY KEY … NOT ENFORCED` exists): state tables declare none. */
  protected override visitColumnDefinition(node: ColumnDefinitionNode): void {
    super.visitColumnDefinition(node.primaryKey ? { ...node, primaryKey: false } : node);
  }

  /** GoogleSQL spells the boolean type `BOOL`. */
  protected override visitDataType(node: DataTypeNode): void {
    this.append(node.dataType.toLowerCase() === 'boolean' ? 'BOOL' : node.dataType);
  }
}

function escape(text: string, pattern: RegExp): string {
  return text.replace(pattern, (char) => ESCAPES[char] ?? char);
}
