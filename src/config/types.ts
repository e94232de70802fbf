import type { z } from 'zod';
import type { ResolvedWarehouseConfig } from '../sources/warehouse-configs.js';
import type {
  brazeSchema,
  guardrailsSchema,
  identifiersSchema,
  notificationsSchema,
  retrySchema,
  stateSchema,
} from './schema.js';

/** The `warehouse:` mapping: relative paths resolved, and what the loader derives (DuckDB's catalog name). */
export type WarehouseConfig = ResolvedWarehouseConfig;
export type StateConfig = Readonly<z.output<typeof stateSchema>>;
export type RetryConfig = Readonly<z.output<typeof retrySchema>>;
export type IdentifiersConfig = Readonly<z.output<typeof identifiersSchema>>;
export type GuardrailsConfig = Readonly<z.output<typeof guardrailsSchema>>;
export type NotificationsConfig = Readonly<z.output<typeof notificationsSchema>>;

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
  /** The daemon runs this sync once when it starts, besides its schedule. */
  readonly run_on_start: boolean;
  /** The Braze target this sync sends to: a key of {@link Config.braze_targets} (`default` for the single form). */
  readonly braze_target: string;
  readonly identifiers: IdentifiersConfig;
  readonly guardrails: GuardrailsConfig;
}

/** A validated, frozen config. */
export interface Config {
  /** Absolute path of the config file. */
  readonly file: string;
  readonly warehouse: Readonly<WarehouseConfig>;
  readonly state: StateConfig;
  /** The Braze target: the single one, or the first named one when `braze` is a map of targets. */
  readonly braze: BrazeConfig;
  /** Every Braze target by name; the single-target form is one target named `default`. */
  readonly braze_targets: Readonly<Record<string, BrazeConfig>>;
  /** Alerts for the daemon, when configured. */
  readonly notifications: NotificationsConfig | undefined;
  readonly syncs: readonly SyncConfig[];
  /** Values of every secret the config references, for redaction. */
  readonly secrets: readonly string[];
}
