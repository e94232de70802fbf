import {
  DefaultQueryCompiler,
  DialectAdapterBase,
  type DatabaseIntrospector,
  type Dialect,
  type Driver,
  type LimitNode,
  type OffsetNode,
} from 'kysely';

/** Plain identifiers, which Snowflake folds to upper case when they are written unquoted. */
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Snowflake's SQL as kysely writes it. Identifiers are double-quoted (so a column named like a reserved word
 * still works) and plain ones are upper-cased first: Snowflake folds unquoted names to upper case, so the
 * tables cohort-sync creates are the ones a user reaches by writing the documented names unquoted
 * (`select * from cohort_sync.sync_runs` reads `"COHORT_SYNC"."SYNC_RUNS"`), and the unquoted names in the
 * builders' raw SQL (`SELECT id_type, id …`) resolve to the same columns. Values are bound as `?`.
 */
export class SnowflakeQueryCompiler extends DefaultQueryCompiler {
  protected override sanitizeIdentifier(identifier: string): string {
    return super.sanitizeIdentifier(snowflakeName(identifier));
  }

  protected override getCurrentParameterPlaceholder(): string {
    return '?';
  }

  /** Snowflake treats a backslash in a string constant as an escape character: double it. */
  protected override sanitizeStringLiteral(value: string): string {
    return super.sanitizeStringLiteral(value).replace(/\\/g, '\\\\');
  }

  // LIMIT and OFFSET take constants in Snowflake; kysely would bind them.
  protected override visitLimit(node: LimitNode): void {
    this.append('limit ');
    this.appendCount(node.limit);
  }

  protected override visitOffset(node: OffsetNode): void {
    this.append('offset ');
    this.appendCount(node.offset);
  }

  private appendCount(node: LimitNode['limit']): void {
    const value = (node as { kind: string; value?: unknown }).value;
    if (node.kind === 'ValueNode' && (typeof value === 'number' || typeof value === 'bigint')) {
      this.append(String(value));
    } else {
      this.visitNode(node);
    }
  }
}

/** The name Snowflake stores for an identifier written unquoted: plain names upper-cased, others as they are. */
export function snowflakeName(identifier: string): string {
  return PLAIN_IDENTIFIER.test(identifier) ? identifier.toUpperCase() : identifier;
}

/**
 * What kysely asks of Snowflake. DDL commits the open transaction implicitly, so it is not transactional;
 * there are no advisory locks, so kysely's own migrator (which cohort-sync does not use) is refused.
 */
export class SnowflakeAdapter extends DialectAdapterBase {
  override get supportsTransactionalDdl(): boolean {
    return false;
  }

  override get supportsReturning(): boolean {
    return false;
  }

  override acquireMigrationLock(): Promise<void> {
    return Promise.reject(new Error('kysely migrations are not supported on Snowflake'));
  }

  override releaseMigrationLock(): Promise<void> {
    return Promise.resolve();
  }
}

/** cohort-sync knows its tables; nothing lists them through kysely. */
const NO_INTROSPECTION: DatabaseIntrospector = {
  getSchemas: () => Promise.reject(new Error('introspection is not supported on Snowflake')),
  getTables: () => Promise.reject(new Error('introspection is not supported on Snowflake')),
  getMetadata: () => Promise.reject(new Error('introspection is not supported on Snowflake')),
};

/** The Snowflake dialect: our compiler and adapter around a driver over snowflake-sdk sessions. */
export function snowflakeDialect(driver: Driver): Dialect {
  return {
    createAdapter: () => new SnowflakeAdapter(),
    createQueryCompiler: () => new SnowflakeQueryCompiler(),
    createDriver: () => driver,
    createIntrospector: () => NO_INTROSPECTION,
  };
}
