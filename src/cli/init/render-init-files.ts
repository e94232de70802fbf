import { warehouseSchema } from '../../config/schema.js';
import { WAREHOUSE_TEMPLATES, type WarehouseTemplate } from './warehouse-templates.js';

/** Where `init` writes, relative to the project directory. */
export const INIT_CONFIG_FILE = 'config/cohort-sync.yaml';
export const INIT_QUERY_FILE = 'queries/example.sql';

/** Warehouse types that both the config schema accepts and `init` has a template for, in schema order. */
export function initWarehouseTypes(): string[] {
  return warehouseSchema.options
    .map((option) => String(option.shape.type.value))
    .filter((type) => type in WAREHOUSE_TEMPLATES);
}

/** Warehouse types the config schema accepts, whether or not `init` has a template for them. */
export function schemaWarehouseTypes(): string[] {
  return warehouseSchema.options.map((option) => String(option.shape.type.value));
}

export interface InitFiles {
  config: string;
  query: string;
  template: WarehouseTemplate;
}

/**
 * The starter config and query for a warehouse type. `schemaReference` is
 * the path or URL of the JSON Schema as seen from the config's folder, for
 * the yaml-language-server comment that gives editors completion.
 */
export function renderInitFiles(type: string, schemaReference: string): InitFiles {
  const template = WAREHOUSE_TEMPLATES[type];
  if (!template) throw new Error(`no init template for warehouse type ${type}`);
  const config = `# yaml-language-server: $schema=${schemaReference}
# cohort-sync configuration: syncs SQL audiences from your warehouse to Braze cohorts.
# Every key is described in cohort-sync's docs/config-reference.md; editors complete them too.
# Secrets are never written here: \${VAR} references are read from the environment.

warehouse:
${template.warehouse}

state:
  schema: cohort_sync # where cohort-sync keeps its snapshot and audit tables (created for you)

braze:
  # Your Braze cluster: US-01 … US-08, EU-01, EU-02, AU-01 (see the dashboard URL), or give
  # rest_endpoint: https://rest.iad-01.braze.com instead. A 401 often means the wrong one.
  instance: US-01
  # The integration partner's path name, partner key and the Data Import Key from that
  # partner's tile (Braze: Partner Integrations > Technology Partners) must belong together.
  partner: cohort-sync
  partner_api_key: \${BRAZE_PARTNER_API_KEY}
  data_import_key: \${BRAZE_DATA_IMPORT_KEY}

syncs:
  - name: example # lower case, digits and _; the name used on the command line and in audit tables
    cohort_name: Example audience (cohort-sync) # the name Braze shows in its cohort filter
    query_file: ../${INIT_QUERY_FILE}
    # schedule: '0 * * * *' # cron, for \`cohort-sync daemon\`
    guardrails:
      max_removal_ratio: 0.5 # stop a run that would remove more than half the cohort
`;
  return { config, query: template.query, template };
}
