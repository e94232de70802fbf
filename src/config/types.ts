import type { z } from 'zod';
import type {
  brazeSchema,
  guardrailsSchema,
  identifiersSchema,
  retrySchema,
  stateSchema,
  warehouseSchema,
} from './schema.js';

export type WarehouseConfig = z.output<typeof warehouseSchema>;
export type StateConfig = Readonly<z.output<typeof stateSchema>>;
export type RetryConfig = Readonly<z.output<typeof retrySchema>>;
export type IdentifiersConfig = Readonly<z.output<typeof identifiersSchema>>;
export type GuardrailsConfig = Readonly<z.output<typeof guardrailsSchema>>;

/** Braze settings with the endpoint resolved from `instance` when needed. */
export type BrazeConfig = Readonly<
  Omit<z.output<typeof brazeSchema>, 'rest_endpoint' | 'instance' | 'retry'>
> & {
  readonly rest_endpoint: string;
  readonly retry: RetryConfig;
};

/** One sync, with its SQL text loaded and its cohort id resolved. */
export interface SyncConfig {
  readonly name: string;
  readonly cohort_name: string;
  readonly cohort_id: string;
  /** The audience SQL text (from `query` or the contents of `query_file`). */
  readonly query: string;
  /** Absolute path of `query_file`, when the SQL came from a file. */
  readonly query_file: string | undefined;
  readonly schedule: string | undefined;
  readonly timezone: string | undefined;
  readonly identifiers: IdentifiersConfig;
  readonly guardrails: GuardrailsConfig;
}

/** A validated, frozen config. */
export interface Config {
  /** Absolute path of the config file. */
  readonly file: string;
  readonly warehouse: Readonly<WarehouseConfig>;
  readonly state: StateConfig;
  readonly braze: BrazeConfig;
  readonly syncs: readonly SyncConfig[];
  /** Values of every secret the config references, for redaction. */
  readonly secrets: readonly string[];
}
