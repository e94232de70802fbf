import path from 'node:path';
import { z } from 'zod';
import type { ConfigIssue } from '../../errors.js';
import { urlHasPassword, type SecretKey, type WarehouseConfigModule } from '../warehouse-config-module.js';

const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** The `warehouse:` mapping of `type: snowflake`, declared with its descriptions (user documentation). */
export const snowflakeWarehouseSchema = z.strictObject({
  type: z
    .literal('snowflake')
    .describe(
      'Snowflake: audience queries, stage tables and state tables run on one virtual warehouse, in one database.',
    ),
  account: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
      'must be an account identifier such as myorg-myaccount or xy12345.us-east-1',
    )
    .describe(
      'Account identifier: the part of your Snowflake URL before .snowflakecomputing.com, e.g. `myorg-myaccount`.',
    ),
  username: z.string().min(1).describe('User to log in as (a service user for cohort-sync is best).'),
  password: z
    .string()
    .optional()
    .describe(
      'Password, as an environment reference like ${SNOWFLAKE_PASSWORD}. Or use private_key_path (key-pair authentication).',
    ),
  private_key_path: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM file of the user's private key (key-pair authentication), relative to this config file; instead of password.",
    ),
  private_key_passphrase: z
    .string()
    .optional()
    .describe(
      'Passphrase of an encrypted private key, as an environment reference like ${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}.',
    ),
  warehouse: z
    .string()
    .min(1)
    .describe('Virtual warehouse that runs every query (it resumes by itself if auto-resume is on).'),
  database: z
    .string()
    .min(1)
    .describe('Database holding the state schema; also the default database of unqualified audience tables.'),
  schema: z
    .string()
    .regex(SQL_IDENTIFIER, 'must be a plain SQL identifier (letters, digits, _, $)')
    .optional()
    .describe(
      'Schema holding the state tables and the per-run stage tables; created if missing. Same as state.schema (give one of them); default `cohort_sync`.',
    ),
  role: z.string().min(1).optional().describe("Role to use; default the user's default role."),
  access_url: z
    .url({
      protocol: /^https?$/,
      error: 'must be an http(s) URL such as https://myorg-myaccount.snowflakecomputing.com',
    })
    .optional()
    .describe(
      'Address to connect to instead of https://<account>.snowflakecomputing.com: a private link URL, or a local fake for testing.',
    ),
  connect_timeout_seconds: z
    .number()
    .positive()
    .default(60)
    .describe('Give up logging in to Snowflake after this long (the SDK would retry for minutes).'),
  statement_timeout_seconds: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      "Cancel any statement that runs longer than this (Snowflake's STATEMENT_TIMEOUT_IN_SECONDS, set for cohort-sync's statements only); default: the account, user or warehouse setting.",
    ),
});

export type SnowflakeWarehouseConfig = z.output<typeof snowflakeWarehouseSchema>;

/** Snowflake logs in with a password or a private key: exactly one. */
function credentialIsNamedOnce(warehouse: SnowflakeWarehouseConfig): ConfigIssue[] {
  const { password, private_key_path: keyPath, private_key_passphrase: passphrase } = warehouse;
  if (password !== undefined && keyPath !== undefined)
    return [{ path: 'warehouse', message: 'give either password or private_key_path, not both' }];
  if (password === undefined && keyPath === undefined)
    return [
      {
        path: 'warehouse',
        message:
          'needs password (e.g. password: ${SNOWFLAKE_PASSWORD}) or private_key_path (key-pair authentication)',
      },
    ];
  if (passphrase !== undefined && keyPath === undefined)
    return [
      { path: 'warehouse.private_key_passphrase', message: 'is only used with private_key_path; remove it' },
    ];
  return [];
}

/** warehouse.schema is the state schema on Snowflake: it and state.schema must not disagree. */
function stateSchemaIsNamedOnce(warehouse: SnowflakeWarehouseConfig, stateSchema: string): ConfigIssue[] {
  return warehouse.schema !== undefined &&
    stateSchema !== 'cohort_sync' &&
    stateSchema.toUpperCase() !== warehouse.schema.toUpperCase()
    ? [
        {
          path: 'warehouse.schema',
          message: `names the state schema, as state.schema does ("${stateSchema}"); give one of them`,
        },
      ]
    : [];
}

/** Snowflake's part of the config: the account, the login and the virtual warehouse. */
export const snowflakeConfig = {
  secretKeys(warehouse) {
    const keys: SecretKey[] = [];
    if (warehouse.password !== undefined) keys.push({ key: 'password', example: 'SNOWFLAKE_PASSWORD' });
    if (warehouse.private_key_passphrase !== undefined)
      keys.push({ key: 'private_key_passphrase', example: 'SNOWFLAKE_PRIVATE_KEY_PASSPHRASE' });
    if (urlHasPassword(warehouse.access_url))
      keys.push({ key: 'access_url', example: 'SNOWFLAKE_ACCESS_URL' });
    return keys;
  },
  rules: (warehouse, { stateSchema }) => [
    ...credentialIsNamedOnce(warehouse),
    ...stateSchemaIsNamedOnce(warehouse, stateSchema),
  ],
  namedStateSchema: (warehouse) =>
    warehouse.schema === undefined ? undefined : { path: 'warehouse.schema', name: warehouse.schema },
  // cohort-sync upper-cases plain names as Snowflake folds unquoted ones: information_schema is INFORMATION_SCHEMA.
  reservedSchema: (name) =>
    name.toUpperCase() === 'INFORMATION_SCHEMA' ? "is Snowflake's metadata views, not a schema" : undefined,
  resolve: (warehouse, baseDir) =>
    warehouse.private_key_path === undefined
      ? warehouse
      : { ...warehouse, private_key_path: path.resolve(baseDir, warehouse.private_key_path) },
} satisfies WarehouseConfigModule<SnowflakeWarehouseConfig>;
