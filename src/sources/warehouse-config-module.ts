import type { ConfigIssue } from '../errors.js';

/** A key of the `warehouse:` mapping whose value is a secret, with an example variable name for messages. */
export interface SecretKey {
  /** The key under `warehouse`, e.g. `password`. */
  key: string;
  /** A variable name to suggest, e.g. `PGPASSWORD`. */
  example: string;
}

/** What a warehouse's rules may look at besides its own mapping. */
export interface WarehouseRuleContext {
  /** `state.schema` as written, or its default `cohort_sync`. */
  stateSchema: string;
}

/** Where the config names the state schema, and the name. */
export interface NamedSchema {
  /** Config path, e.g. `state.schema` or `warehouse.dataset`. */
  path: string;
  name: string;
}

/**
 * What the config layer knows about one warehouse type, declared in the vendor's folder next to its
 * adapter (kysely's dialect folders, one per engine). A module is pure config: it imports zod and node
 * built-ins only, never its adapter or SDK, so that loading a config loads no driver; the loader reaches
 * every module through the one registry, src/sources/warehouse-configs.ts. Members are methods so that a
 * module of one type serves where the union of all types is expected (parameters are bivariant).
 */
export interface WarehouseConfigModule<W extends { readonly type: string }> {
  /** The secret keys present in this mapping: each must be a `${VAR}` reference, and is redacted. */
  secretKeys(warehouse: W): SecretKey[];
  /** Values to redact besides the secret keys' own, e.g. a URL's password alone. Default: none. */
  redactions?(warehouse: W): string[];
  /** Cross-field checks of the mapping; paths are absolute (`warehouse.url`). */
  rules(warehouse: W, context: WarehouseRuleContext): ConfigIssue[];
  /** Where the mapping itself names the state schema (BigQuery `dataset`, Snowflake `schema`). Default: it does not. */
  namedStateSchema?(warehouse: W): NamedSchema | undefined;
  /**
   * Why `name` cannot hold the state tables on this engine (a system or temporary schema), or undefined
   * when it can. Compared as the engine resolves names.
   */
  reservedSchema(name: string): string | undefined;
  /** The mapping with its relative file paths resolved against the config file's folder. Default: as is. */
  resolve?(warehouse: W, baseDir: string, stateSchema: string): W;
  /** Checks of the machine the config is loaded on (files, folders), after {@link resolve}. Default: none. */
  check?(warehouse: W): Promise<ConfigIssue[]>;
}

/** Whether an http(s) URL carries a password in its user info (`https://user:password@host`): then it is a secret. */
export function urlHasPassword(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}
