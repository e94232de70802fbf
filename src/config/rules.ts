import { validateDetailed } from 'node-cron';
import type { ConfigIssue } from '../errors.js';
import { warehouseConfigModule } from '../sources/warehouse-configs.js';
import { BRAZE_INSTANCES } from './braze-instances.js';
import { isSingleTarget, rawBrazeTargets } from './braze-targets.js';
import type { RawConfig } from './schema.js';
import { secretsAreReferences } from './secrets.js';

/** Cross-field checks that one schema cannot express; each returns the problems it finds. */
export type ConfigRule = (config: RawConfig, references: ReadonlyMap<string, string>) => ConfigIssue[];

/** The warehouse's own checks, from its config module. */
const warehouseRules: ConfigRule = ({ warehouse, state }) =>
  warehouseConfigModule(warehouse).rules(warehouse, { stateSchema: state.schema });

/** The state schema is one the engine lets cohort-sync keep tables in for good: no system or temporary schema. */
const stateSchemaIsUsable: ConfigRule = ({ warehouse, state }) => {
  const vendor = warehouseConfigModule(warehouse);
  const named = vendor.namedStateSchema?.(warehouse) ?? { path: 'state.schema', name: state.schema };
  const reason = vendor.reservedSchema(named.name);
  return reason === undefined
    ? []
    : [
        {
          path: named.path,
          message: `"${named.name}" ${reason}; name a schema of your own, e.g. cohort_sync`,
        },
      ];
};

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

/** C0 and C1 control characters (NUL, escape, newline …): never meant in a name. */
const CONTROL = /\p{Cc}/u;

/**
 * Texts sent to Braze as written hold no control character: one there is a paste or encoding accident, that
 * a database refuses (NUL) or a terminal obeys (escape sequences) when the name is stored or shown.
 */
const brazeTextsHaveNoControls: ConfigRule = ({ syncs }) =>
  syncs.flatMap((sync, index) =>
    [
      { path: `syncs[${index}].cohort_name`, text: sync.cohort_name },
      { path: `syncs[${index}].identifiers.alias_label`, text: sync.identifiers.alias_label },
    ].flatMap(({ path, text }) => {
      const found = text === undefined ? null : CONTROL.exec(text);
      if (found === null) return [];
      const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      return [
        {
          path,
          message: `contains a control character (U+${code} at character ${found.index + 1}); remove it`,
        },
      ];
    }),
  );

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
  warehouseRules,
  stateSchemaIsUsable,
  endpointIsNamedOnce,
  brazeTargetsAreKnown,
  syncNamesAreUnique,
  cohortIdsAreUnique,
  queryIsGivenOnce,
  brazeTextsHaveNoControls,
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
