import type { ConfigIssue } from '../errors.js';
import { urlHasPassword, warehouseConfigModule } from '../sources/warehouse-configs.js';
import { rawBrazeTargets } from './braze-targets.js';
import { wholeReference } from './interpolate.js';
import type { RawConfig } from './schema.js';

/** A config path whose value is a secret, with an example variable name for messages. */
export interface SecretPath {
  path: string;
  example: string;
}

/**
 * Every config path whose value is a secret: the Braze keys, the alert webhook (Slack's carry their token),
 * any URL with a password in it, and the warehouse's own (its config module says which). Each must be a
 * `${VAR}` reference, and is redacted everywhere.
 */
export function secretPaths(config: RawConfig): SecretPath[] {
  const braze = rawBrazeTargets(config).flatMap(({ path, braze }) => [
    { path: `${path}.partner_api_key`, example: 'BRAZE_PARTNER_API_KEY' },
    { path: `${path}.data_import_key`, example: 'BRAZE_DATA_IMPORT_KEY' },
    ...(urlHasPassword(braze.rest_endpoint)
      ? [{ path: `${path}.rest_endpoint`, example: 'BRAZE_REST_ENDPOINT' }]
      : []),
  ]);
  const notifications = config.notifications
    ? [{ path: 'notifications.webhook_url', example: 'SLACK_WEBHOOK_URL' }]
    : [];
  const warehouse = warehouseConfigModule(config.warehouse)
    .secretKeys(config.warehouse)
    .map(({ key, example }) => ({ path: `warehouse.${key}`, example }));
  return [...braze, ...notifications, ...warehouse];
}

/** The values to redact: every secret, and the parts a warehouse names besides (a URL's password alone). */
export function secretValues(config: RawConfig): string[] {
  const values = secretPaths(config).map(({ path }) => valueAtPath(config, path));
  values.push(...(warehouseConfigModule(config.warehouse).redactions?.(config.warehouse) ?? []));
  return values.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
}

/** Secrets are `${VAR}` references, never written in the file. */
export function secretsAreReferences(
  config: RawConfig,
  references: ReadonlyMap<string, string>,
): ConfigIssue[] {
  return secretPaths(config)
    .filter(({ path }) => wholeReference(references.get(path)) === undefined)
    .filter(({ path }) => valueAtPath(config, path) !== undefined)
    .map(({ path, example }) => ({
      path,
      message: `must be an environment variable reference such as \${${example}}; secrets are never written in config files`,
    }));
}

function valueAtPath(config: RawConfig, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}
