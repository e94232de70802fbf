import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { configProblems } from '../support/config-text.js';

const FILE = '/project/config/cohort-sync.yaml';
const ENV = {
  US_PARTNER_KEY: 'pk-us-1234',
  US_IMPORT_KEY: 'dik-us-5678',
  EU_PARTNER_KEY: 'pk-eu-1234',
  EU_IMPORT_KEY: 'dik-eu-5678',
  SLACK_WEBHOOK_URL: 'https://hooks.example.com/services/T000/B000/secret-token',
};

const TARGETS = `
warehouse: { type: duckdb, path: data/warehouse.duckdb }
braze:
  us:
    instance: US-03
    partner: acme
    partner_api_key: \${US_PARTNER_KEY}
    data_import_key: \${US_IMPORT_KEY}
    requests_per_second: 10
  eu:
    rest_endpoint: https://rest.fra-01.braze.eu
    partner: acme_eu
    partner_api_key: \${EU_PARTNER_KEY}
    data_import_key: \${EU_IMPORT_KEY}
notifications: { webhook_url: '\${SLACK_WEBHOOK_URL}' }
syncs:
  - name: vip_us
    cohort_name: VIP US
    query: SELECT external_id FROM customers
    braze_target: us
    schedule: "*/5 * * * *"
    run_on_start: true
  - name: vip_eu
    cohort_name: VIP EU
    query: SELECT external_id FROM customers
    braze_target: eu
`;

const problems = (yaml: string, env: NodeJS.ProcessEnv = ENV) => configProblems(yaml, env, FILE);

describe('Braze targets, notifications and daemon keys in the config', () => {
  it('resolves a map of named targets, each sync to its own', async () => {
    const config = await parseConfig(TARGETS, FILE, ENV);
    expect(Object.keys(config.braze_targets)).toEqual(['us', 'eu']);
    expect(config.braze_targets.us).toMatchObject({
      rest_endpoint: 'https://rest.iad-03.braze.com',
      partner: 'acme',
      partner_api_key: 'pk-us-1234',
      requests_per_second: 10,
      concurrency: 4,
    });
    expect(config.braze_targets.eu).toMatchObject({ partner: 'acme_eu', data_import_key: 'dik-eu-5678' });
    expect(config.braze).toBe(config.braze_targets.us);
    expect(config.syncs.map((s) => [s.name, s.braze_target, s.run_on_start])).toEqual([
      ['vip_us', 'us', true],
      ['vip_eu', 'eu', false],
    ]);
    expect(config.notifications?.webhook_url).toBe(ENV.SLACK_WEBHOOK_URL);
    expect([...config.secrets].sort()).toEqual(Object.values(ENV).sort());
  });

  it('keeps the single-target form as target "default"', async () => {
    const single = TARGETS.replace(/braze:[\s\S]*?notifications.*\n/, (block) =>
      block
        .replace(/ {2}us:\n/, '')
        .replace(/ {2}eu:[\s\S]*?(?=notifications)/, '')
        .replace(/^ {4}/gm, '  '),
    ).replace(/ {4}braze_target: \w+\n/g, '');
    const config = await parseConfig(single, FILE, ENV);
    expect(Object.keys(config.braze_targets)).toEqual(['default']);
    expect(config.braze.partner).toBe('acme');
    expect(config.syncs.every((s) => s.braze_target === 'default')).toBe(true);
  });

  it('defaults to the only named target when a sync names none', async () => {
    const one = TARGETS.replace(/ {2}eu:[\s\S]*?(?=notifications)/, '').replace(
      / {4}braze_target: \w+\n/g,
      '',
    );
    const config = await parseConfig(one, FILE, ENV);
    expect(config.syncs.map((s) => s.braze_target)).toEqual(['us', 'us']);
  });

  const cases: [string, string, RegExp][] = [
    [
      'an unknown target',
      TARGETS.replace('braze_target: eu', 'braze_target: apac'),
      /syncs\[1\]\.braze_target: unknown Braze target "apac"; braze defines: us, eu/,
    ],
    [
      'a sync naming no target among several',
      TARGETS.replace('    braze_target: eu\n', ''),
      /syncs\[1\]: sync "vip_eu" needs braze_target: one of us, eu/,
    ],
    [
      'a misspelt key inside a named target, with a suggestion',
      TARGETS.replace('    partner: acme_eu', '    partnr: acme_eu'),
      /braze\.eu\.partnr: unknown key \(did you mean "partner"\?\)/,
    ],
    [
      'a misspelt key in the single form, with a suggestion',
      TARGETS.replace(/braze:[\s\S]*?notifications/, (block) =>
        block
          .replace(/ {2}us:\n/, '')
          .replace(/ {2}eu:[\s\S]*?(?=notifications)/, '')
          .replace(/^ {4}/gm, '  ')
          .replace('partner: acme', 'partnr: acme'),
      ),
      /braze\.partnr: unknown key \(did you mean "partner"\?\)/,
    ],
    [
      'a literal secret in a named target',
      TARGETS.replace('${EU_IMPORT_KEY}', 'dik-literal'),
      /braze\.eu\.data_import_key: must be an environment variable reference/,
    ],
    [
      'a literal webhook URL',
      TARGETS.replace("'${SLACK_WEBHOOK_URL}'", 'https://hooks.example.com/x'),
      /notifications\.webhook_url: must be an environment variable reference/,
    ],
    [
      'a rate above what Braze allows',
      TARGETS.replace('requests_per_second: 10', 'requests_per_second: 100'),
      /braze\.us\.requests_per_second: must be at most 69/,
    ],
    [
      'both endpoint forms in one target',
      TARGETS.replace('    instance: US-03\n', '    instance: US-03\n    rest_endpoint: https://x.example\n'),
      /braze\.us: give either rest_endpoint or instance, not both/,
    ],
  ];

  it.each(cases)('rejects %s, naming the path', async (_name, yaml, expected) => {
    const message = await problems(yaml);
    expect(message).toMatch(expected);
    expect(message).not.toContain('dik-literal');
  });

  it('rejects braze_target when braze is a single target', async () => {
    const single = TARGETS.replace(/braze:[\s\S]*?notifications.*\n/, (block) =>
      block
        .replace(/ {2}us:\n/, '')
        .replace(/ {2}eu:[\s\S]*?(?=notifications)/, '')
        .replace(/^ {4}/gm, '  '),
    );
    expect(await problems(single)).toMatch(
      /syncs\[0\]\.braze_target: braze is a single target, so there is nothing to pick/,
    );
  });
});
