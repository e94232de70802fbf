import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

export const CONFIG_FILE = '/project/config/cohort-sync.yaml';

/**
 * A config with the given `warehouse:` value, one Braze target and one sync. `lines`, when given, go
 * between the two on lines of their own (a `state:` mapping, say).
 */
export function configWithWarehouse(warehouse: string, lines?: string): string {
  return `
warehouse: ${warehouse}
${lines === undefined ? '' : `${lines}\n`}braze:
  rest_endpoint: https://rest.iad-01.braze.com
  partner: acme
  partner_api_key: \${BRAZE_PARTNER_API_KEY}
  data_import_key: \${BRAZE_DATA_IMPORT_KEY}
syncs:
  - name: vip
    cohort_name: VIP customers
    query: SELECT external_id FROM customers
`;
}

/** The message of the ConfigError that `yaml` raises; fails the test if it parses or fails otherwise. */
export async function configProblems(
  yaml: string,
  env: NodeJS.ProcessEnv,
  file: string = CONFIG_FILE,
): Promise<string> {
  try {
    await parseConfig(yaml, file, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
