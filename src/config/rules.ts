import { validateDetailed } from 'node-cron';
import type { ConfigIssue } from '../errors.js';
import { BRAZE_INSTANCES } from './braze-instances.js';
import { wholeReference } from './interpolate.js';
import type { RawConfig } from './schema.js';

/** Cross-field checks that one schema cannot express; each returns the problems it finds. */
export type ConfigRule = (config: RawConfig, references: ReadonlyMap<string, string>) => ConfigIssue[];

/** Config paths whose values are secrets: they must be `${VAR}` references and are redacted everywhere. */
export function secretPaths(config: RawConfig): string[] {
  const paths = ['braze.partner_api_key', 'braze.data_import_key'];
  if ('password' in config.warehouse) paths.push('warehouse.password');
  return paths;
}

const secretsAreReferences: ConfigRule = (config, references) =>
  secretPaths(config)
    .filter((path) => wholeReference(references.get(path)) === undefined)
    .filter((path) => valueAtPath(config, path) !== undefined)
    .map((path) => ({
      path,
      message:
        'must be an environment variable reference such as ${BRAZE_DATA_IMPORT_KEY}; secrets are never written in config files',
    }));

const endpointIsNamedOnce: ConfigRule = ({ braze }) => {
  if (braze.rest_endpoint && braze.instance) {
    return [{ path: 'braze', message: 'give either rest_endpoint or instance, not both' }];
  }
  if (!braze.rest_endpoint && !braze.instance) {
    return [
      {
        path: 'braze',
        message: 'needs rest_endpoint (e.g. https://rest.iad-01.braze.com) or instance (e.g. US-01)',
      },
    ];
  }
  if (braze.instance && !(braze.instance.toUpperCase() in BRAZE_INSTANCES)) {
    const known = Object.keys(BRAZE_INSTANCES).join(', ');
    return [
      {
        path: 'braze.instance',
        message: `unknown Braze instance "${braze.instance}"; known: ${known}; or give rest_endpoint`,
      },
    ];
  }
  return [];
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
  endpointIsNamedOnce,
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
