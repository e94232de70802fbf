import { validateDetailed } from 'node-cron';
import { parse as parseConnectionString } from 'pg-connection-string';
import type { ConfigIssue } from '../errors.js';
import { BRAZE_INSTANCES } from './braze-instances.js';
import { isSingleTarget, rawBrazeTargets } from './braze-targets.js';
import { wholeReference } from './interpolate.js';
import type { RawConfig } from './schema.js';

/** Cross-field checks that one schema cannot express; each returns the problems it finds. */
export type ConfigRule = (config: RawConfig, references: ReadonlyMap<string, string>) => ConfigIssue[];

/** Config paths whose values are secrets: they must be `${VAR}` references and are redacted everywhere. */
export function secretPaths(config: RawConfig): string[] {
  const paths = rawBrazeTargets(config).flatMap((target) => [
    `${target.path}.partner_api_key`,
    `${target.path}.data_import_key`,
  ]);
  if ('password' in config.warehouse) paths.push('warehouse.password');
  if ('private_key_passphrase' in config.warehouse) paths.push('warehouse.private_key_passphrase');
  // A webhook URL carries its own token (Slack's do): treat it as a key.
  if (config.notifications) paths.push('notifications.webhook_url');
  if ('url' in config.warehouse && urlPassword(config.warehouse.url) !== undefined)
    paths.push('warehouse.url');
  return paths;
}

/** The values to redact: every secret, and a database URL's password on its own (decoded and as written). */
export function secretValues(config: RawConfig): string[] {
  const values = secretPaths(config).map((path) => valueAtPath(config, path));
  if ('url' in config.warehouse) {
    const password = urlPassword(config.warehouse.url);
    if (password !== undefined) values.push(password, encodeURIComponent(password));
  }
  return values.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
}

function urlPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return parseConnectionString(url).password || undefined;
  } catch {
    return undefined;
  }
}

/** An example variable name for each secret, for messages. */
const SECRET_EXAMPLES: Record<string, string> = {
  'warehouse.url': 'DATABASE_URL',
  'warehouse.password': 'PGPASSWORD',
};

/** Example variable names of the Snowflake secrets, whose paths other warehouses share. */
const SNOWFLAKE_SECRET_EXAMPLES: Record<string, string> = {
  'warehouse.password': 'SNOWFLAKE_PASSWORD',
  'warehouse.private_key_passphrase': 'SNOWFLAKE_PRIVATE_KEY_PASSPHRASE',
};

const secretsAreReferences: ConfigRule = (config, references) =>
  secretPaths(config)
    .filter((path) => wholeReference(references.get(path)) === undefined)
    .filter((path) => valueAtPath(config, path) !== undefined)
    .map((path) => {
      const example =
        (config.warehouse.type === 'snowflake' ? SNOWFLAKE_SECRET_EXAMPLES[path] : undefined) ??
        SECRET_EXAMPLES[path] ??
        'BRAZE_DATA_IMPORT_KEY';
      return {
        path,
        message: `must be an environment variable reference such as \${${example}}; secrets are never written in config files`,
      };
    });

const postgresConnectionIsNamedOnce: ConfigRule = ({ warehouse }) => {
  if (warehouse.type !== 'postgres') return [];
  const discrete = (['host', 'port', 'database', 'user', 'password', 'ssl'] as const).filter(
    (key) => warehouse[key] !== undefined,
  );
  if (warehouse.url !== undefined) {
    return discrete.map((key) => ({
      path: `warehouse.${key}`,
      message:
        key === 'ssl'
          ? 'give TLS settings in the url (?sslmode=require or verify-full), not both'
          : 'give either url or host/port/database/user/password, not both',
    }));
  }
  const missing = (['host', 'database', 'user'] as const).filter((key) => warehouse[key] === undefined);
  if (missing.length === 3) {
    return [
      {
        path: 'warehouse',
        message:
          'needs url (e.g. url: ${DATABASE_URL}) or host, database and user (and port, password, ssl as needed)',
      },
    ];
  }
  return missing.map((key) => ({ path: `warehouse.${key}`, message: `is required when url is not given` }));
};

const stateDatasetIsNamedOnce: ConfigRule = ({ warehouse, state }) =>
  warehouse.type === 'bigquery' &&
  warehouse.dataset !== undefined &&
  state.schema !== 'cohort_sync' &&
  state.schema !== warehouse.dataset
    ? [
        {
          path: 'warehouse.dataset',
          message: `names the state dataset, as state.schema does ("${state.schema}"); give one of them`,
        },
      ]
    : [];

/** Snowflake logs in with a password or a private key: exactly one. */
const snowflakeCredentialIsNamedOnce: ConfigRule = ({ warehouse }) => {
  if (warehouse.type !== 'snowflake') return [];
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
};

/** warehouse.schema is the state schema on Snowflake: it and state.schema must not disagree. */
const snowflakeStateSchemaIsNamedOnce: ConfigRule = ({ warehouse, state }) =>
  warehouse.type === 'snowflake' &&
  warehouse.schema !== undefined &&
  state.schema !== 'cohort_sync' &&
  state.schema.toUpperCase() !== warehouse.schema.toUpperCase()
    ? [
        {
          path: 'warehouse.schema',
          message: `names the state schema, as state.schema does ("${state.schema}"); give one of them`,
        },
      ]
    : [];

const endpointIsNamedOnce: ConfigRule = (config) =>
  rawBrazeTargets(config).flatMap(({ path, braze }): ConfigIssue[] => {
    if (braze.rest_endpoint && braze.instance) {
      return [{ path, message: 'give either rest_endpoint or instance, not both' }];
    }
    if (!braze.rest_endpoint && !braze.instance) {
      return [
        {
          path,
          message: 'needs rest_endpoint (e.g. https://rest.iad-01.braze.com) or instance (e.g. US-01)',
        },
      ];
    }
    if (braze.instance && !(braze.instance.toUpperCase() in BRAZE_INSTANCES)) {
      const known = Object.keys(BRAZE_INSTANCES).join(', ');
      return [
        {
          path: `${path}.instance`,
          message: `unknown Braze instance "${braze.instance}"; known: ${known}; or give rest_endpoint`,
        },
      ];
    }
    return [];
  });

/** Each sync names a target that exists, or there is exactly one to default to. */
const brazeTargetsAreKnown: ConfigRule = (config) => {
  if (isSingleTarget(config.braze)) {
    return config.syncs.flatMap((sync, index) =>
      sync.braze_target === undefined
        ? []
        : [
            {
              path: `syncs[${index}].braze_target`,
              message:
                'braze is a single target, so there is nothing to pick; remove braze_target, or make braze a map of named targets',
            },
          ],
    );
  }
  const names = Object.keys(config.braze);
  if (names.length === 0) {
    return [{ path: 'braze', message: 'names no target; give one target, or a map of named targets' }];
  }
  return config.syncs.flatMap((sync, index) => {
    if (sync.braze_target === undefined) {
      return names.length === 1
        ? []
        : [
            {
              path: `syncs[${index}]`,
              message: `sync "${sync.name}" needs braze_target: one of ${names.join(', ')}`,
            },
          ];
    }
    return names.includes(sync.braze_target)
      ? []
      : [
          {
            path: `syncs[${index}].braze_target`,
            message: `unknown Braze target "${sync.braze_target}"; braze defines: ${names.join(', ')}`,
          },
        ];
  });
};

const syncNamesAreUnique: ConfigRule = ({ syncs }) => {
  const first = new Map<string, number>();
  return syncs.flatMap((sync, index) => {
    const earlier = first.get(sync.name);
    if (earlier === undefined) {
      first.set(sync.name, index);
      return [];
    }
    return [
      {
        path: `syncs[${index}].name`,
        message: `duplicate sync name "${sync.name}" (also syncs[${earlier}].name)`,
      },
    ];
  });
};

const cohortIdsAreUnique: ConfigRule = ({ syncs }) => {
  const seen = new Map<string, number>();
  return syncs.flatMap((sync, index) => {
    const id = sync.cohort_id ?? defaultCohortId(sync.name);
    const earlier = seen.get(id);
    seen.set(id, index);
    return earlier === undefined
      ? []
      : [
          {
            path: `syncs[${index}].cohort_id`,
            message: `cohort id "${id}" is also used by syncs[${earlier}]`,
          },
        ];
  });
};

const queryIsGivenOnce: ConfigRule = ({ syncs }) =>
  syncs.flatMap((sync, index) => {
    if (sync.query !== undefined && sync.query_file !== undefined) {
      return [{ path: `syncs[${index}]`, message: 'give either query or query_file, not both' }];
    }
    if (sync.query === undefined && sync.query_file === undefined) {
      return [
        { path: `syncs[${index}]`, message: 'needs query (SQL text) or query_file (path to a .sql file)' },
      ];
    }
    return [];
  });

const schedulesAreValid: ConfigRule = ({ syncs }) =>
  syncs.flatMap((sync, index) => {
    const issues: ConfigIssue[] = [];
    if (sync.schedule !== undefined) {
      const result = validateDetailed(sync.schedule);
      const fields = sync.schedule.trim().split(/\s+/).length;
      if (!result.valid || fields < 5 || fields > 6) {
        const detail = result.errors.map((error) => error.message).join('; ') || `has ${fields} fields`;
        issues.push({
          path: `syncs[${index}].schedule`,
          message: `invalid cron expression "${sync.schedule}" (${detail}); expected 5 or 6 fields, e.g. "0 * * * *"`,
        });
      }
    }
    if (sync.timezone !== undefined && !isTimeZone(sync.timezone)) {
      issues.push({
        path: `syncs[${index}].timezone`,
        message: `unknown time zone "${sync.timezone}"; use an IANA name like Europe/Berlin`,
      });
    }
    return issues;
  });

export const CONFIG_RULES: readonly ConfigRule[] = [
  secretsAreReferences,
  postgresConnectionIsNamedOnce,
  stateDatasetIsNamedOnce,
  snowflakeCredentialIsNamedOnce,
  snowflakeStateSchemaIsNamedOnce,
  endpointIsNamedOnce,
  brazeTargetsAreKnown,
  syncNamesAreUnique,
  cohortIdsAreUnique,
  queryIsGivenOnce,
  schedulesAreValid,
];

/** The stable cohort id used when a sync does not name one. */
export function defaultCohortId(syncName: string): string {
  return `cohort-sync-${syncName}`;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function valueAtPath(config: RawConfig, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}
