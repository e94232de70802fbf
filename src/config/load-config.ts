import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { warehouseConfigModule } from '../sources/warehouse-configs.js';
import { BRAZE_INSTANCES } from './braze-instances.js';
import { DEFAULT_CONFIG_FILE } from './default-config-file.js';
import { DEFAULT_BRAZE_TARGET, rawBrazeTargets } from './braze-targets.js';
import { describeIssue, unionBranchIssues } from './describe-issue.js';
import { interpolate } from './interpolate.js';
import { formatPath } from './path.js';
import { CONFIG_RULES, defaultCohortId } from './rules.js';
import { configSchema, type RawConfig } from './schema.js';
import { secretValues } from './secrets.js';
import { isEmptyStatement, trimStatement } from './trim-statement.js';
import type { BrazeConfig, Config, SyncConfig } from './types.js';
import { YamlPositions } from './yaml-positions.js';

export { DEFAULT_CONFIG_FILE };

/**
 * Reads a YAML config: parse → interpolate `${VAR}` → validate against the
 * schema → cross-field rules → resolve files. Reports every problem at once
 * as a {@link ConfigError}; returns a deeply frozen {@link Config}.
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const absolute = path.resolve(file);
  const text = await readConfigText(file, absolute);
  return parseConfig(text, file, env);
}

/** As {@link loadConfig}, from YAML text; `file` names the source in messages and anchors relative paths. */
export async function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Config> {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const positions = new YamlPositions(document, lines);
  const fail = (issues: ConfigIssue[]): never => {
    const located = issues.map((issue) => ({
      ...issue,
      position: issue.position ?? positionOfPath(positions, issue.path),
    }));
    throw new ConfigError(file, dedupe(located));
  };

  const [syntaxError] = document.errors;
  if (syntaxError) {
    // Later syntax errors are usually echoes of the first one; report it alone.
    const { line, col } = lines.linePos(syntaxError.pos[0]);
    const hint =
      /flow-map|flow-seq/.test(syntaxError.message) && text.includes('${')
        ? " (a ${VAR} inside { … } must be quoted: key: '${VAR}')"
        : '';
    fail([
      {
        path: '',
        position: `${line}:${col}`,
        message: `YAML syntax error: ${syntaxError.message.split('\n')[0]}${hint}`,
      },
    ]);
  }
  const tree = toTree(document, fail);
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) {
    fail([{ path: '', message: 'expected a YAML mapping with warehouse, braze and syncs' }]);
  }

  const { value, references, issues: missing } = interpolate(tree, env);
  const parsed = configSchema.safeParse(value);
  const issues: ConfigIssue[] = [...missing];
  if (!parsed.success) {
    const unset = new Set(missing.map((issue) => issue.path));
    for (const issue of parsed.error.issues.flatMap(unionBranchIssues)) {
      const where = formatPath(issue.path);
      if (unset.has(where)) continue; // already reported as a missing variable
      if (issue.code === 'unrecognized_keys') {
        for (const [index, message] of describeIssue(issue, configSchema, value).entries()) {
          const key = issue.keys[index] ?? '';
          issues.push({
            path: formatPath([...issue.path, key]),
            message,
            position: positions.of([...issue.path, key], { key: true }),
          });
        }
        continue;
      }
      for (const message of describeIssue(issue, configSchema, value)) {
        issues.push({ path: where, message, position: positions.of(issue.path) });
      }
    }
    fail(issues);
  }
  const raw = parsed.data as RawConfig;
  issues.push(...CONFIG_RULES.flatMap((rule) => rule(raw, references)));
  const baseDir = path.dirname(path.resolve(file));
  const targets = rawBrazeTargets(raw).map(({ name, braze }) => [name, resolveBraze(braze)] as const);
  const [defaultName = DEFAULT_BRAZE_TARGET] = targets[0] ?? [];
  const syncs = await Promise.all(
    raw.syncs.map((sync, index) => resolveSync(sync, index, baseDir, issues, defaultName)),
  );
  const state = stateOf(raw);
  const vendor = warehouseConfigModule(raw.warehouse);
  const warehouse = vendor.resolve?.(raw.warehouse, baseDir, state.schema) ?? raw.warehouse;
  issues.push(...((await vendor.check?.(warehouse)) ?? []));
  if (issues.length > 0) fail(issues);

  return deepFreeze({
    file: path.resolve(file),
    warehouse,
    state,
    braze: targets[0]![1],
    braze_targets: Object.fromEntries(targets),
    notifications: raw.notifications,
    syncs,
    secrets: secretValues(raw),
  });
}

/** Aliases a config may expand before it is refused as an alias bomb ("billion laughs"); yaml's default. */
const MAX_ALIAS_COUNT = 100;

/** The document as plain data; aliases that would expand without bound are bad config, not a crash. */
function toTree(document: ReturnType<typeof parseDocument>, fail: (issues: ConfigIssue[]) => never): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml raises a ReferenceError for an alias it will not expand: too many uses, or no such anchor.
    if (!(error instanceof ReferenceError)) throw error;
    const message = /excessive alias count/i.test(error.message)
      ? `YAML aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies, as an alias bomb would; write the values out, or refer to each anchor less often`
      : `YAML error: ${error.message}`;
    return fail([{ path: '', message }]);
  }
}

function resolveBraze(braze: ReturnType<typeof rawBrazeTargets>[number]['braze']): BrazeConfig {
  const { instance: _instance, ...rest } = braze;
  return {
    ...rest,
    rest_endpoint: (
      braze.rest_endpoint ??
      BRAZE_INSTANCES[braze.instance?.toUpperCase() ?? ''] ??
      ''
    ).replace(/\/+$/, ''),
  };
}

async function readConfigText(file: string, absolute: string): Promise<string> {
  try {
    return await readFile(absolute, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError(file, [
      {
        path: '',
        message: `${reason}; pass --config FILE or create ${DEFAULT_CONFIG_FILE} (see config/ for examples)`,
      },
    ]);
  }
}

const NO_STATEMENT = 'holds no SQL statement (it is empty, or only comments and semicolons)';

async function resolveSync(
  sync: RawConfig['syncs'][number],
  index: number,
  baseDir: string,
  issues: ConfigIssue[],
  defaultTarget: string,
): Promise<SyncConfig> {
  let query = sync.query === undefined ? '' : trimStatement(sync.query);
  let queryFile: string | undefined;
  if (sync.query !== undefined && isEmptyStatement(query))
    issues.push({ path: `syncs[${index}].query`, message: NO_STATEMENT });
  if (sync.query_file !== undefined) {
    queryFile = path.resolve(baseDir, sync.query_file);
    try {
      query = trimStatement((await readFile(queryFile, 'utf8')).trim());
      if (isEmptyStatement(query))
        issues.push({ path: `syncs[${index}].query_file`, message: `${sync.query_file} ${NO_STATEMENT}` });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is a directory, not a SQL file'
            : (error as Error).message;
      issues.push({ path: `syncs[${index}].query_file`, message: `${queryFile} ${reason}` });
    }
  }
  return {
    name: sync.name,
    cohort_name: sync.cohort_name,
    cohort_id: sync.cohort_id ?? defaultCohortId(sync.name),
    query,
    query_file: queryFile,
    schedule: sync.schedule,
    timezone: sync.timezone,
    run_on_start: sync.run_on_start,
    braze_target: sync.braze_target ?? defaultTarget,
    identifiers: sync.identifiers,
    guardrails: sync.guardrails,
  };
}

/** A warehouse may name the state schema itself (BigQuery `dataset`, Snowflake `schema`); it is the state schema. */
function stateOf(raw: RawConfig): RawConfig['state'] {
  const named = warehouseConfigModule(raw.warehouse).namedStateSchema?.(raw.warehouse);
  return named === undefined ? raw.state : { ...raw.state, schema: named.name };
}

function positionOfPath(positions: YamlPositions, dotted: string): string | undefined {
  if (dotted === '') return undefined;
  const segments = [...dotted.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((match) =>
    match[2] !== undefined ? Number(match[2]) : (match[1] ?? ''),
  );
  return positions.of(segments);
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
