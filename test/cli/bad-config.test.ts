import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { TEST_ENV } from '../support/emulator.js';
import { captureForSecretScan, registerSecret } from '../support/secret-scan.js';
import { tempDir } from '../support/temp-dir.js';

const GOOD = `warehouse: { type: duckdb, path: w.duckdb }
braze:
  rest_endpoint: http://127.0.0.1:9
  partner: acme
  partner_api_key: \${BRAZE_PARTNER_API_KEY}
  data_import_key: \${BRAZE_DATA_IMPORT_KEY}
syncs:
  - name: vip
    cohort_name: VIP
    query: SELECT 'u1' AS external_id
`;
const LITERAL_SECRET = 'dik-literal-in-the-file-0042';

/** Broken config files as a user could write them; each must be refused in one clear message. */
const DIRECTORY = Symbol('a directory instead of a file');
const CASES: [name: string, contents: string | Buffer | typeof DIRECTORY, message: RegExp][] = [
  ['malformed YAML', 'syncs: [\n  - name: x', /YAML syntax error/],
  [
    'binary garbage',
    Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x07, 0x00, 0x81, 0x9f]),
    /YAML|expected a YAML mapping/,
  ],
  ['a directory', DIRECTORY, /EISDIR|directory/],
  ['an empty file', '', /expected a YAML mapping/],
  [
    'an unknown key',
    GOOD.replace('cohort_name:', 'cohort_nme:'),
    /cohort_nme: unknown key \(did you mean "cohort_name"\?\)/,
  ],
  [
    'a wrong type',
    GOOD.replace('partner: acme', 'partner: acme\n  concurrency: many'),
    /braze\.concurrency: expected a number/,
  ],
  [
    'duplicate sync names',
    `${GOOD}  - name: vip\n    cohort_name: again\n    query: SELECT 1\n`,
    /duplicate sync name "vip"/,
  ],
  ['a bad cron', `${GOOD}    schedule: "every hour"\n`, /invalid cron expression "every hour"/],
  [
    'a literal secret',
    GOOD.replace('${BRAZE_DATA_IMPORT_KEY}', LITERAL_SECRET),
    /data_import_key: must be an environment variable reference/,
  ],
  [
    'a missing query file',
    GOOD.replace("query: SELECT 'u1' AS external_id", 'query_file: nope.sql'),
    /query_file: .*nope\.sql does not exist/,
  ],
  [
    'a missing environment variable',
    GOOD.replace('${BRAZE_DATA_IMPORT_KEY}', '${NOT_SET_ANYWHERE_42}'),
    /environment variable NOT_SET_ANYWHERE_42 is not set/,
  ],
];

describe('the CLI with a broken config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    Object.assign(process.env, TEST_ENV); // main() reads secrets from this process's environment
    registerSecret(LITERAL_SECRET);
  });

  it.each(CASES)(
    '%s: exit 2, one message naming the file, no stack trace',
    async (name, contents, message) => {
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
      if (contents === DIRECTORY) await mkdir(file, { recursive: true });
      else await writeFile(file, contents);
      for (const command of ['validate', 'run', 'plan']) {
        let out = '';
        let err = '';
        const code = await main([command, '--config', file], {
          out: (t) => (out += t),
          err: (t) => (err += t),
        });
        captureForSecretScan(`cohort-sync ${command} with ${name}`, out + err);
        expect(code).toBe(2);
        expect(out).toBe('');
        expect(err).toMatch(/^error: invalid config \(\d+ problems?\):\n/);
        expect(err).toContain(file);
        expect(err).toMatch(message);
        expect(err).not.toMatch(/\n\s+at |unexpected error/);
      }
    },
  );
});
