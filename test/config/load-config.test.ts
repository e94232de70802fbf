import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load-config.js';
import { tempDir } from '../support/temp-dir.js';
import { configProblems, configWithWarehouse } from '../support/config-text.js';

const ENV = { BRAZE_PARTNER_API_KEY: 'pk-1234', BRAZE_DATA_IMPORT_KEY: 'dik-5678', PGPASSWORD: 'pw' };

const VALID = configWithWarehouse('{ type: duckdb, path: data/warehouse.duckdb }');

const problems = (yaml: string, env: NodeJS.ProcessEnv = ENV) => configProblems(yaml, env);

describe('config loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  it('produces a typed, frozen config with defaults, resolved paths and a derived cohort id', async () => {
    const config = await parseConfig(VALID, '/project/config/cohort-sync.yaml', ENV);
    expect(config.warehouse).toEqual({ type: 'duckdb', path: '/project/config/data/warehouse.duckdb' });
    expect(config.state).toEqual({ schema: 'cohort_sync', retention_days: 30, checkpoint_batches: 100 });
    expect(config.braze).toMatchObject({
      rest_endpoint: 'https://rest.iad-01.braze.com',
      partner_api_key: 'pk-1234',
      concurrency: 4,
    });
    expect(config.syncs[0]).toMatchObject({
      name: 'vip',
      cohort_id: 'cohort-sync-vip',
      guardrails: { max_removal_ratio: 0.5, allow_empty_result: false },
    });
    expect(config.secrets).toEqual(['pk-1234', 'dik-5678']);
    expect(Object.isFrozen(config.syncs[0]!.guardrails)).toBe(true);
  });

  it('derives the endpoint from a Braze instance name', async () => {
    const config = await parseConfig(
      VALID.replace('rest_endpoint: https://rest.iad-01.braze.com', 'instance: EU-02'),
      'c.yaml',
      ENV,
    );
    expect(config.braze.rest_endpoint).toBe('https://rest.fra-02.braze.eu');
  });

  it('reads query_file relative to the config file, without its trailing semicolon', async () => {
    await mkdir(path.join(dir, 'config'), { recursive: true });
    await mkdir(path.join(dir, 'queries'), { recursive: true });
    await writeFile(path.join(dir, 'queries', 'vip.sql'), 'SELECT external_id FROM vip;\n');
    await writeFile(
      path.join(dir, 'config', 'c.yaml'),
      VALID.replace('query: SELECT external_id FROM customers', 'query_file: ../queries/vip.sql'),
    );
    const config = await loadConfig(path.join(dir, 'config', 'c.yaml'), ENV);
    expect(config.syncs[0]).toMatchObject({
      query: 'SELECT external_id FROM vip',
      query_file: path.join(dir, 'queries', 'vip.sql'),
    });
  });

  // Each bad config: the fragment to change, and what the message must name.
  const cases: [string, (yaml: string) => string, RegExp, NodeJS.ProcessEnv?][] = [
    ['malformed YAML', () => 'syncs: [\n  - name: x', /YAML syntax error/],
    ['a list instead of a mapping', () => '- a\n- b', /expected a YAML mapping/],
    [
      'an unquoted ${VAR} inside a flow mapping, with a hint',
      (y) =>
        y
          .replace('  partner_api_key: ${BRAZE_PARTNER_API_KEY}\n', '')
          .replace('partner: acme', 'partner: acme\n  retry: { x: ${BRAZE_PARTNER_API_KEY} }'),
      /:\d+:\d+: YAML syntax error: [^\n]*must be quoted[^\n]*$/,
    ],
    [
      'an unknown top-level key, with a suggestion',
      (y) => `${y}\nsyncz: []`,
      /:\d+:\d+ syncz: unknown key \(did you mean "syncs"\?\)/,
    ],
    [
      'an unknown sync key, with a suggestion',
      (y) => y.replace('cohort_name:', 'cohortname:'),
      /syncs\[0\]\.cohortname: unknown key \(did you mean "cohort_name"\?\)/,
    ],
    [
      'a missing required key',
      (y) => y.replace('    cohort_name: VIP customers\n', ''),
      /syncs\[0\]\.cohort_name: is required/,
    ],
    [
      'a wrong type',
      (y) => y.replace('cohort_name: VIP customers', 'cohort_name: [1, 2]'),
      /syncs\[0\]\.cohort_name: expected a string, got a list/,
    ],
    [
      'an unknown warehouse type',
      (y) => y.replace('type: duckdb', 'type: duckdbb'),
      /warehouse\.type: must be one of: duckdb, postgres, bigquery, snowflake \(did you mean "duckdb"\?\)/,
    ],
    [
      'a bad sync name',
      (y) => y.replace('name: vip', 'name: VIP-list'),
      /syncs\[0\]\.name: must match \[a-z\]\[a-z0-9_\]\*/,
    ],
    [
      'duplicate sync names',
      (y) => `${y}  - name: vip\n    cohort_name: again\n    query: SELECT 1\n`,
      /syncs\[1\]\.name: duplicate sync name "vip"/,
    ],
    [
      'a bad cron schedule',
      (y) => `${y}    schedule: "61 * * * *"\n`,
      /syncs\[0\]\.schedule: invalid cron expression "61 \* \* \* \*"/,
    ],
    [
      'an unknown time zone',
      (y) => `${y}    timezone: Mars/Olympus\n`,
      /syncs\[0\]\.timezone: unknown time zone/,
    ],
    [
      'a missing environment variable',
      (y) => y,
      /braze\.data_import_key: environment variable BRAZE_DATA_IMPORT_KEY is not set/,
      { BRAZE_PARTNER_API_KEY: 'x' },
    ],
    [
      'an environment variable that is set but empty',
      (y) => y,
      /braze\.data_import_key: environment variable BRAZE_DATA_IMPORT_KEY is set but empty/,
      { BRAZE_PARTNER_API_KEY: 'x', BRAZE_DATA_IMPORT_KEY: '' },
    ],
    [
      'a query file that is a directory',
      (y) => y.replace('query: SELECT external_id FROM customers', 'query_file: /'),
      /syncs\[0\]\.query_file: \/ is a directory, not a SQL file/,
    ],
    [
      'a duplicate key',
      (y) =>
        y.replace(
          '    cohort_name: VIP customers\n',
          '    cohort_name: VIP customers\n    cohort_name: again\n',
        ),
      /:\d+:\d+: YAML syntax error: Map keys must be unique/,
    ],
    [
      'tabs for indentation',
      (y) => y.replace('  partner: acme', '\tpartner: acme'),
      /YAML syntax error: Tabs are not allowed/,
    ],
    ['an empty file', () => '', /expected a YAML mapping with warehouse, braze and syncs/],
    [
      'a literal secret',
      (y) => y.replace('${BRAZE_PARTNER_API_KEY}', 'pk-literal-value'),
      /braze\.partner_api_key: must be an environment variable reference/,
    ],
    [
      'both query and query_file',
      (y) => `${y}    query_file: q.sql\n`,
      /syncs\[0\]: give either query or query_file, not both/,
    ],
    [
      'neither query nor query_file',
      (y) => y.replace('    query: SELECT external_id FROM customers\n', ''),
      /syncs\[0\]: needs query/,
    ],
    [
      'a query file that does not exist',
      (y) => y.replace('query: SELECT external_id FROM customers', 'query_file: ../queries/missing.sql'),
      /syncs\[0\]\.query_file: \/project\/queries\/missing\.sql does not exist/,
    ],
    [
      'both rest_endpoint and instance',
      (y) => y.replace('  partner: acme', '  instance: US-01\n  partner: acme'),
      /braze: give either rest_endpoint or instance/,
    ],
    [
      'an unknown instance',
      (y) => y.replace('rest_endpoint: https://rest.iad-01.braze.com', 'instance: US-99'),
      /braze\.instance: unknown Braze instance "US-99"/,
    ],
    [
      'a non-http endpoint',
      (y) => y.replace('https://rest.iad-01.braze.com', 'ftp://braze'),
      /braze\.rest_endpoint: must be an http\(s\) URL/,
    ],
    [
      'an out-of-range guardrail',
      (y) => `${y}    guardrails: { max_removal_ratio: 1.5 }\n`,
      /syncs\[0\]\.guardrails\.max_removal_ratio: must be at most 1/,
    ],
    ['no syncs', (y) => y.replace(/syncs:[\s\S]*/, 'syncs: []'), /syncs: must list at least one sync/],
  ];

  it.each(cases)(
    'rejects %s with a message naming the file and the key',
    async (_name, edit, expected, env) => {
      const message = await problems(edit(VALID), env ?? ENV);
      expect(message).toMatch(/\/project\/config\/cohort-sync\.yaml/);
      expect(message).toMatch(expected);
    },
  );

  it('reports every problem at once', async () => {
    const message = await problems(
      VALID.replace('cohort_name:', 'cohortname:').replace('partner: acme', 'partner: acme\n  concurency: 3'),
    );
    expect(message).toMatch(/3 problems/);
    expect(message).toMatch(/cohort_name: is required/);
    expect(message).toMatch(/cohortname: unknown key/);
    expect(message).toMatch(/concurency: unknown key \(did you mean "concurrency"\?\)/);
  });

  it('never prints a literal secret it rejects', async () => {
    const message = await problems(VALID.replace('${BRAZE_DATA_IMPORT_KEY}', 'dik-literal-do-not-print'));
    expect(message).not.toContain('dik-literal-do-not-print');
  });

  it('names a config file that does not exist', async () => {
    await expect(loadConfig(path.join(dir, 'nope.yaml'), ENV)).rejects.toThrow(/nope\.yaml: file not found/);
  });
});
