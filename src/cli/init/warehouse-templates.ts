/**
 * What `cohort-sync init` writes for each warehouse type: the `warehouse:`
 * block of the config (with comments) and an example audience query in that
 * warehouse's SQL. A type is offered once the config schema knows it; the
 * init test validates every offered template against the schema, so add the
 * template here when you add a warehouse to src/config/schema.ts.
 */
export interface WarehouseTemplate {
  /** The `warehouse:` mapping and its comments, as YAML lines (without the `warehouse:` line). */
  warehouse: string;
  /** Environment variables the warehouse block references, for the next-steps hint. */
  env: readonly string[];
  /** Example query: runnable as it is, so `validate` and `plan` work before you write your own. */
  query: string;
}

const QUERY_HEADER = `-- One row per user who should be in the cohort. cohort-sync identifies each row by the
-- first non-NULL of: external_id (Braze external user id), device_id (anonymous users
-- only), alias_name + alias_label (a user alias). Return any of these columns; rename
-- them with AS, or map them under identifiers: in the config.
--
-- A real audience reads your tables, for example:
--   SELECT customer_id AS external_id
--   FROM analytics.customers
--   WHERE lifetime_value >= 500 AND churned_at IS NULL
--
-- This example returns ten made-up users so that \`cohort-sync plan\` works right away.
`;

export const WAREHOUSE_TEMPLATES: Readonly<Record<string, WarehouseTemplate>> = {
  duckdb: {
    warehouse: `  type: duckdb
  # The database file, relative to this config file; created if it does not exist.
  path: ../data/warehouse.duckdb`,
    env: [],
    query: `${QUERY_HEADER}SELECT 'user-' || CAST(i AS VARCHAR) AS external_id
FROM range(1, 11) AS t(i)
`,
  },
  postgres: {
    warehouse: `  type: postgres
  # A connection URL such as postgres://user:password@host:5432/db?sslmode=require.
  # It holds a password, so it comes from the environment.
  url: \${DATABASE_URL}`,
    env: ['DATABASE_URL'],
    query: `${QUERY_HEADER}SELECT 'user-' || i AS external_id
FROM generate_series(1, 10) AS t(i)
`,
  },
  bigquery: {
    warehouse: `  type: bigquery
  # The Google Cloud project that runs (and pays for) the query jobs and holds the state dataset.
  project_id: my-gcp-project
  # Location of the state dataset and of every job; the audience tables must be there too.
  location: US
  # Dataset for the state and stage tables; created if missing.
  dataset: cohort_sync
  # A service account key file; remove this line to use Application Default Credentials.
  key_file: \${GOOGLE_APPLICATION_CREDENTIALS}`,
    env: ['GOOGLE_APPLICATION_CREDENTIALS'],
    query: `${QUERY_HEADER}SELECT CONCAT('user-', CAST(i AS STRING)) AS external_id
FROM UNNEST(GENERATE_ARRAY(1, 10)) AS i
`,
  },
  snowflake: {
    warehouse: `  type: snowflake
  account: myorg-myaccount # the account identifier from your Snowflake URL
  username: COHORT_SYNC
  password: \${SNOWFLAKE_PASSWORD} # or key-pair: private_key_path (+ private_key_passphrase)
  warehouse: COMPUTE_WH # the virtual warehouse that runs the queries
  database: ANALYTICS # state tables go in its schema COHORT_SYNC (set schema: to change it)
  # role: COHORT_SYNC_ROLE # default: the user's default role`,
    env: ['SNOWFLAKE_PASSWORD'],
    query: `${QUERY_HEADER}SELECT 'user-' || SEQ4() AS external_id
FROM TABLE(GENERATOR(ROWCOUNT => 10))
`,
  },
};
