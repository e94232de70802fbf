import { z } from 'zod';
import { WAREHOUSE_SCHEMAS } from '../sources/warehouse-configs.js';

/**
 * The one schema of the YAML config. Every key is declared here with its
 * description and default, the `warehouse:` mapping of each type in its vendor's
 * folder (src/sources/<vendor>/<vendor>-config.ts); unknown keys are errors. The
 * editor JSON Schema is generated from it, so descriptions are user documentation.
 */

const SYNC_NAME = /^[a-z][a-z0-9_]*$/;
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export const warehouseSchema = z
  .discriminatedUnion('type', WAREHOUSE_SCHEMAS)
  .describe('Where the audience queries run and where state and audit tables live.');

export const stateSchema = z
  .strictObject({
    schema: z
      .string()
      .regex(SQL_IDENTIFIER, 'must be a plain SQL identifier (letters, digits, _)')
      .default('cohort_sync')
      .describe(
        'Schema (dataset) holding cohort_snapshot, sync_runs, sync_changes, sync_locks, schema_version.',
      ),
    retention_days: z.number().int().positive().default(30).describe('Days to keep sync_changes rows.'),
    checkpoint_batches: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe(
        'Confirmed batches (up to 1,000 changes each) between snapshot writes while a run sends; after a crash the next run re-sends about this many batches, plus those in flight.',
      ),
  })
  .describe('The state schema in the warehouse.');

export const retrySchema = z
  .strictObject({
    max_attempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(6)
      .describe('Attempts per request, the first included.'),
    max_elapsed_seconds: z
      .number()
      .positive()
      .default(300)
      .describe('Give up on a request once this much time was spent on it, waits included.'),
    base_delay_ms: z
      .number()
      .int()
      .nonnegative()
      .default(500)
      .describe('First backoff delay (exponential, with jitter).'),
    max_delay_ms: z.number().int().positive().default(30_000).describe('Longest single backoff delay.'),
  })
  .describe('Retry policy for 408, 423, 429, 5xx and dropped connections.');

const secretReference = z.string().min(1);

export const brazeSchema = z
  .strictObject({
    rest_endpoint: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://rest.iad-01.braze.com' })
      .optional()
      .describe(
        'Your Braze REST endpoint. Any http(s) URL is accepted, so the local emulator can be targeted.',
      ),
    instance: z
      .string()
      .optional()
      .describe('Braze instance (cluster) name such as US-01 or EU-02, instead of rest_endpoint.'),
    partner: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'must be the partner path name (letters, digits, - and _)')
      .describe('The /partners/{partner}/ path name of the integration partner.'),
    partner_api_key: secretReference.describe(
      'Partner API key, as an environment reference like ${BRAZE_PARTNER_API_KEY}.',
    ),
    data_import_key: secretReference.describe(
      "The customer's Data Import Key (client_secret), as an environment reference like ${BRAZE_DATA_IMPORT_KEY}.",
    ),
    concurrency: z.number().int().min(1).max(64).default(4).describe('Requests in flight at once.'),
    timeout_seconds: z.number().positive().default(30).describe('Timeout for one HTTP request.'),
    retry: retrySchema.default(retrySchema.parse({})),
    requests_per_second: z
      .number()
      .positive()
      .max(69, 'must be at most 69 (Braze allows 250,000 requests an hour)')
      .optional()
      .describe(
        'Requests per second to this endpoint, shared by every sync the process runs. ' +
          "`daemon` default 20 (72,000 an hour, well below Braze's 250,000); `run` is unlimited unless set.",
      ),
    max_in_flight: z
      .number()
      .int()
      .min(1)
      .max(256)
      .optional()
      .describe(
        'Requests in flight to this endpoint at once, across every sync the process runs (one shared connection pool). ' +
          '`daemon` default 16; `run` is bounded only by `concurrency` unless set.',
      ),
  })
  .describe('The Braze workspace and partner to send cohorts to.');

const TARGET_NAME = /^[a-z][a-z0-9_]*$/;

export const brazeTargetsSchema = z
  .record(
    z.string().regex(TARGET_NAME, 'target names must match [a-z][a-z0-9_]* (lower case letters, digits, _)'),
    brazeSchema,
  )
  .describe('Several Braze workspaces by name; each sync picks one with `braze_target`.');

export const notificationsSchema = z
  .strictObject({
    webhook_url: z
      .url({
        protocol: /^https?$/,
        error: 'must be an http(s) URL, as an environment reference like ${SLACK_WEBHOOK_URL}',
      })
      .describe(
        'Webhook (Slack-compatible: JSON {"text": …}) told when a scheduled run fails, is aborted by a guardrail, or recovers. A secret: give it as ${VAR}.',
      ),
  })
  .describe('Alerts the daemon sends; never one per successful run.');

export const identifiersSchema = z
  .strictObject({
    external_id: z
      .string()
      .regex(SQL_IDENTIFIER)
      .default('external_id')
      .describe('Column holding the Braze external id.'),
    device_id: z
      .string()
      .regex(SQL_IDENTIFIER)
      .default('device_id')
      .describe('Column holding the device id.'),
    alias_name: z
      .string()
      .regex(SQL_IDENTIFIER)
      .default('alias_name')
      .describe('Column holding the user alias name.'),
    alias_label_column: z
      .string()
      .regex(SQL_IDENTIFIER)
      .default('alias_label')
      .describe('Column holding the user alias label.'),
    alias_label: z
      .string()
      .min(1)
      .optional()
      .describe('A constant alias label for every alias row (e.g. `email`); replaces the label column.'),
  })
  .describe('Which query columns identify a user, in priority order external_id, device_id, alias.');

export const guardrailsSchema = z
  .strictObject({
    max_removal_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Abort when a run would remove more than this share of the cohort.'),
    allow_empty_result: z
      .boolean()
      .default(false)
      .describe('Allow a query that returns no rows to empty a non-empty cohort.'),
    max_removals: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Abort when a run would remove more members than this.'),
    min_rows: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Abort when the query returns fewer rows than this.'),
  })
  .describe('Checks that stop a run before anything is sent.');

export const syncSchema = z.strictObject({
  name: z
    .string()
    .regex(SYNC_NAME, 'must match [a-z][a-z0-9_]* (lower case letters, digits, _)')
    .describe('Unique name of the sync; used in state tables and on the command line.'),
  cohort_name: z.string().trim().min(1, 'must be a non-empty string').describe('Cohort name shown in Braze.'),
  cohort_id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 characters of letters, digits, _ . : -')
    .optional()
    .describe('Stable Braze cohort id; defaults to cohort-sync-<name>. Changing it starts a new cohort.'),
  query: z.string().trim().min(1).optional().describe('The audience SQL. One row per user.'),
  query_file: z
    .string()
    .min(1)
    .optional()
    .describe('File holding the audience SQL, relative to this config file.'),
  schedule: z.string().optional().describe('Cron expression (5 or 6 fields) for the daemon.'),
  timezone: z.string().optional().describe('IANA time zone of the schedule; default UTC.'),
  run_on_start: z
    .boolean()
    .default(false)
    .describe('The daemon also runs this sync once as soon as it starts, besides its schedule.'),
  braze_target: z
    .string()
    .optional()
    .describe('Which named Braze target to send to, when `braze` is a map of targets.'),
  identifiers: identifiersSchema.default(identifiersSchema.parse({})),
  guardrails: guardrailsSchema.default(guardrailsSchema.parse({})),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
  warehouse: warehouseSchema,
  state: stateSchema.default(stateSchema.parse({})),
  braze: z
    .union([brazeSchema, brazeTargetsSchema])
    .describe('One Braze target, or a map of named targets (`braze: { us: {…}, eu: {…} }`).'),
  notifications: notificationsSchema.optional(),
  syncs: z.array(syncSchema).min(1, 'must list at least one sync').describe('The audiences to sync.'),
});

export type RawConfig = z.output<typeof configSchema>;
export type RawSyncConfig = z.output<typeof syncSchema>;
