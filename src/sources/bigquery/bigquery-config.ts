import path from 'node:path';
import { z } from 'zod';
import { urlHasPassword, type WarehouseConfigModule } from '../warehouse-config-module.js';

const DATASET = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/;

/** The `warehouse:` mapping of `type: bigquery`, declared with its descriptions (user documentation). */
export const bigqueryWarehouseSchema = z.strictObject({
  type: z
    .literal('bigquery')
    .describe(
      'Google BigQuery: audience queries, stage tables and state tables run as BigQuery jobs in one project.',
    ),
  project_id: z
    .string()
    .regex(/^[a-z][a-z0-9:.-]{4,61}[a-z0-9]$/, 'must be a Google Cloud project id such as my-project-123')
    .describe('Project that runs the query jobs (and is billed for them) and holds the state dataset.'),
  location: z
    .string()
    .min(2)
    .describe(
      'Location of the state dataset and of every job, e.g. `US`, `EU` or `europe-west3`; must match the location of the audience tables.',
    ),
  dataset: z
    .string()
    .regex(DATASET, 'must be a dataset name (letters, digits, _)')
    .optional()
    .describe(
      'Dataset holding the state tables and the per-run stage tables; created if missing. Same as state.schema (give one of them); default `cohort_sync`.',
    ),
  key_file: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Service account key file (JSON), relative to this config file, usually ${GOOGLE_APPLICATION_CREDENTIALS}. ' +
        'Omit to use Application Default Credentials (gcloud auth application-default login, or the attached service account).',
    ),
  api_endpoint: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://bigquery.googleapis.com' })
    .optional()
    .describe(
      'BigQuery API root to call instead of https://bigquery.googleapis.com: a private endpoint, or a local fake for testing.',
    ),
  stage_expiration_hours: z
    .number()
    .positive()
    .max(24 * 7)
    .default(24)
    .describe(
      'Stage tables expire this many hours after a run creates them, so a run that dies leaves nothing behind for long.',
    ),
  maximum_bytes_billed: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Refuse (fail, without charge) any query job that would bill more bytes than this. Default: no limit beyond the project quota.',
    ),
  job_timeout_seconds: z
    .number()
    .positive()
    .optional()
    .describe('Cancel any query job that runs longer than this; default: wait for it.'),
});

export type BigQueryWarehouseConfig = z.output<typeof bigqueryWarehouseSchema>;

/** Why a dataset cannot hold the state tables on BigQuery. */
function reservedSchema(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (upper === 'INFORMATION_SCHEMA') return "is BigQuery's metadata views, not a dataset";
  if (upper === '_SESSION') return "is BigQuery's session dataset: its tables vanish with the session";
  return undefined;
}

/** BigQuery's part of the config: the project that runs and pays for the jobs, and the state dataset. */
export const bigqueryConfig = {
  secretKeys: (warehouse) =>
    urlHasPassword(warehouse.api_endpoint) ? [{ key: 'api_endpoint', example: 'BIGQUERY_API_ENDPOINT' }] : [],
  rules: (warehouse, { stateSchema }) =>
    warehouse.dataset !== undefined && stateSchema !== 'cohort_sync' && stateSchema !== warehouse.dataset
      ? [
          {
            path: 'warehouse.dataset',
            message: `names the state dataset, as state.schema does ("${stateSchema}"); give one of them`,
          },
        ]
      : [],
  namedStateSchema: (warehouse) =>
    warehouse.dataset === undefined ? undefined : { path: 'warehouse.dataset', name: warehouse.dataset },
  reservedSchema,
  resolve: (warehouse, baseDir) =>
    warehouse.key_file === undefined
      ? warehouse
      : { ...warehouse, key_file: path.resolve(baseDir, warehouse.key_file) },
} satisfies WarehouseConfigModule<BigQueryWarehouseConfig>;
