import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { aliasBomb } from '../support/alias-bomb.js';
import { configProblems, configWithWarehouse } from '../support/config-text.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Clumsy and hostile config, refused at load with the path and a fix, or made to work (issue 15). The CLI
 * side (exit codes, what a run does) is in test/cli/hostile-config-cli.test.ts.
 */
const ENV = {
  BRAZE_PARTNER_API_KEY: 'pk-1234',
  BRAZE_DATA_IMPORT_KEY: 'dik-5678',
  DATABASE_URL: 'postgres://reader@db.internal/analytics',
};
const DUCKDB = '{ type: duckdb, path: data/warehouse.duckdb }';
const POSTGRES = "{ type: postgres, url: '${DATABASE_URL}' }";
const BIGQUERY = '{ type: bigquery, project_id: my-project-1, location: EU }';
const SNOWFLAKE =
  "{ type: snowflake, account: myorg-acct, username: u, password: '${SF_PASSWORD}', warehouse: w, database: d }";

const problems = (yaml: string, env: NodeJS.ProcessEnv = ENV) => configProblems(yaml, env);
/** The config with `from` replaced by `to` as written (String.replace would read `$$` in `to` as `$`). */
const edited = (yaml: string, from: string, to: string) => yaml.replace(from, () => to);
const withState = (warehouse: string, schema: string) =>
  configWithWarehouse(warehouse, `state: { schema: ${schema} }`);

describe('a YAML alias bomb', () => {
  it('is bad config naming the file, not a hang or a crash', async () => {
    const message = await problems(`${aliasBomb()}${configWithWarehouse(DUCKDB)}`);
    expect(message).toMatch(
      /^invalid config \(1 problem\):\n {2}\/project\/config\/cohort-sync\.yaml: YAML aliases \(\*name\) expand to more than 100 copies, as an alias bomb would/,
    );
  });

  it('a few aliases are still fine', async () => {
    const yaml = edited(
      configWithWarehouse(DUCKDB),
      'cohort_name: VIP customers',
      'cohort_name: &name VIP customers\n    identifiers: { alias_label: *name }',
    );
    const config = await parseConfig(yaml, '/project/c.yaml', ENV);
    expect(config.syncs[0]!.identifiers.alias_label).toBe('VIP customers');
  });
});

describe('a control character in a text sent to Braze', () => {
  it.each([
    ['a NUL', 'VIP\\0 customers', 'U+0000 at character 4'],
    ['an escape sequence', '\\e[2JVIP', 'U+001B at character 1'],
    ['a newline', 'VIP\\ncustomers', 'U+000A at character 4'],
  ])('%s in cohort_name is refused at validate', async (_name, text, where) => {
    const message = await problems(
      edited(configWithWarehouse(DUCKDB), 'cohort_name: VIP customers', `cohort_name: "${text}"`),
    );
    expect(message).toContain(`syncs[0].cohort_name: contains a control character (${where}); remove it`);
  });

  it('in a constant alias label too; other Unicode is fine', async () => {
    const yaml = edited(
      configWithWarehouse(DUCKDB),
      'cohort_name: VIP customers',
      'cohort_name: "Kunden ✨ München"\n    identifiers: { alias_label: "e\\u0007mail" }',
    );
    expect(await problems(yaml)).toMatch(
      /^invalid config \(1 problem\):\n.*syncs\[0\]\.identifiers\.alias_label: contains a control character \(U\+0007 at character 2\)/,
    );
  });
});

describe('a literal ${…}', () => {
  it('is written $${NAME}; it is not looked up, and a missing variable is no error', async () => {
    const yaml = edited(
      configWithWarehouse(DUCKDB),
      'cohort_name: VIP customers',
      'cohort_name: "Spent over $${AMOUNT} (${CURRENCY})"',
    );
    const config = await parseConfig(yaml, '/project/c.yaml', { ...ENV, CURRENCY: 'EUR' });
    expect(config.syncs[0]!.cohort_name).toBe('Spent over ${AMOUNT} (EUR)');
  });

  it('is not a reference, so a secret written so is still refused', async () => {
    const yaml = edited(configWithWarehouse(DUCKDB), '${BRAZE_DATA_IMPORT_KEY}', '$${BRAZE_DATA_IMPORT_KEY}');
    expect(await problems(yaml)).toMatch(
      /braze\.data_import_key: must be an environment variable reference such as \$\{BRAZE_DATA_IMPORT_KEY\}/,
    );
  });
});

describe('the end of an audience query', () => {
  it.each([
    ['a semicolon', 'SELECT id AS external_id FROM t;', 'SELECT id AS external_id FROM t'],
    [
      'a semicolon and a comment',
      'SELECT id AS external_id FROM t; -- the VIPs',
      'SELECT id AS external_id FROM t -- the VIPs',
    ],
    [
      'a comment, then a semicolon on its own line',
      'SELECT id AS external_id FROM t -- VIPs\n;\n',
      'SELECT id AS external_id FROM t -- VIPs',
    ],
    [
      'a semicolon and a block comment (a query tag, say)',
      'SELECT id AS external_id FROM t; /* team: crm */ ;',
      'SELECT id AS external_id FROM t /* team: crm */',
    ],
  ])('ending in %s loses its semicolons and keeps its comments', async (_name, query, expected) => {
    const yaml = edited(
      configWithWarehouse(DUCKDB),
      'query: SELECT external_id FROM customers',
      `query: ${JSON.stringify(query)}`,
    );
    const config = await parseConfig(yaml, '/project/c.yaml', ENV);
    expect(config.syncs[0]!.query).toBe(expected);
  });

  it('keeps what only looks like an end inside quotes and dollar quotes', async () => {
    for (const query of [
      "SELECT 'a; -- b' AS external_id",
      'SELECT "x;--" AS external_id FROM t',
      "SELECT 'it''s; -- ok' AS external_id",
      'SELECT $$a; -- b$$ AS external_id',
    ]) {
      const yaml = edited(
        configWithWarehouse(DUCKDB),
        'query: SELECT external_id FROM customers',
        `query: ${JSON.stringify(`${query}; -- trailing`)}`,
      );
      const config = await parseConfig(yaml, '/project/c.yaml', ENV);
      expect(config.syncs[0]!.query).toBe(`${query} -- trailing`);
    }
  });

  it('a query of only comments and semicolons is refused', async () => {
    const yaml = edited(
      configWithWarehouse(DUCKDB),
      'query: SELECT external_id FROM customers',
      "query: '; -- nothing'",
    );
    expect(await problems(yaml)).toMatch(
      /syncs\[0\]\.query: holds no SQL statement \(it is empty, or only comments and semicolons\)/,
    );
  });
});

describe('secrets are never echoed, and never written in the file', () => {
  it('a number where a secret belongs is refused without its value', async () => {
    const yaml = edited(configWithWarehouse(DUCKDB), '${BRAZE_PARTNER_API_KEY}', '987654321');
    const message = await problems(yaml);
    expect(message).toMatch(/braze\.partner_api_key: expected a string, got a number$/m);
    expect(message).not.toContain('987654321');
  });

  it('a literal password in a PostgreSQL URL is refused even when the URL names files (sslrootcert) that are not here', async () => {
    for (const url of [
      'postgres://reader:written-down@db/analytics?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem',
      'postgres://reader@db/analytics?password=written-down&sslrootcert=/etc/ssl/db-ca.pem',
    ]) {
      const message = await problems(configWithWarehouse(`{ type: postgres, url: "${url}" }`));
      expect(message).toMatch(
        /warehouse\.url: must be an environment variable reference such as \$\{DATABASE_URL\}/,
      );
      expect(message).not.toContain('written-down');
    }
  });

  it('the password of such a URL given by reference is redacted, alone and as written', async () => {
    const url = 'postgres://reader:p%40ss-w0rd@db/analytics?sslrootcert=/nonexistent/ca.pem';
    const query = 'postgres://reader@db/analytics?password=q-pw-42&sslrootcert=/nonexistent/ca.pem';
    for (const [value, password] of [
      [url, 'p@ss-w0rd'],
      [query, 'q-pw-42'],
    ] as const) {
      const config = await parseConfig(configWithWarehouse(POSTGRES), '/project/c.yaml', {
        ...ENV,
        DATABASE_URL: value,
      });
      expect(config.secrets).toEqual(expect.arrayContaining([value, password]));
    }
  });

  it.each([
    ['braze.rest_endpoint', edited(configWithWarehouse(DUCKDB), 'https://rest', 'https://u:hunter22@rest')],
    [
      'warehouse.api_endpoint',
      configWithWarehouse(BIGQUERY.replace(' }', ', api_endpoint: "https://u:hunter22@bq.internal" }')),
    ],
    [
      'warehouse.access_url',
      configWithWarehouse(SNOWFLAKE.replace(' }', ', access_url: "https://u:hunter22@sf.internal" }')),
    ],
  ])('a URL with a password in it (%s) is a secret too', async (key, yaml) => {
    const message = await problems(yaml, { ...ENV, SF_PASSWORD: 'sf-pw' });
    expect(message).toContain(`${key}: must be an environment variable reference`);
    expect(message).not.toContain('hunter22');
  });
});

describe('a PostgreSQL URL with reserved characters in its password', () => {
  it.each([
    ['#', 'postgres://reader:abc#123@db.internal:5432/analytics'],
    ['# that still parses', 'postgres://reader:12#34@db.internal/analytics'],
    ['?', 'postgres://reader:ab?c@db.internal/analytics'],
    ['/', 'postgres://reader:ab/c@db.internal/analytics'],
  ])('(%s) names warehouse.url, says to percent-encode, and never shows the URL', async (_name, url) => {
    const message = await problems(configWithWarehouse(POSTGRES), { ...ENV, DATABASE_URL: url });
    expect(message).toMatch(
      /warehouse\.url: (is not a valid URL|has a #, where the URL would end); percent-encode reserved characters in the user name and password \(# as %23, @ as %40/,
    );
    expect(message).not.toContain(url.split('@')[0]!.split(':')[2]!);
  });

  it('an @ in the password parses as PostgreSQL reads it, and is redacted', async () => {
    const url = 'postgres://reader:p@ss@db.internal/analytics';
    const config = await parseConfig(configWithWarehouse(POSTGRES), '/project/c.yaml', {
      ...ENV,
      DATABASE_URL: url,
    });
    expect(config.secrets).toEqual(expect.arrayContaining([url, 'p@ss']));
  });
});

describe('the state schema', () => {
  it.each([
    ['postgres', 'pg_temp', POSTGRES, "is PostgreSQL's per-session temporary schema"],
    ['postgres', 'pg_temp_3', POSTGRES, "is PostgreSQL's per-session temporary schema"],
    ['postgres', 'pg_catalog', POSTGRES, 'starts with pg_, which PostgreSQL reserves for system schemas'],
    ['postgres', 'pg_toast', POSTGRES, 'starts with pg_, which PostgreSQL reserves'],
    ['postgres', 'information_schema', POSTGRES, "is PostgreSQL's system catalog schema"],
    ['duckdb', 'temp', DUCKDB, "is DuckDB's catalog of temporary tables"],
    ['duckdb', 'INFORMATION_SCHEMA', DUCKDB, "is DuckDB's catalog of metadata views"],
    ['duckdb', 'pg_catalog', DUCKDB, "is DuckDB's PostgreSQL-compatible system schema"],
    ['duckdb', 'cohort_sync_stage', DUCKDB, "is where cohort-sync keeps each run's stage tables"],
    ['bigquery', 'INFORMATION_SCHEMA', BIGQUERY, "is BigQuery's metadata views"],
    ['bigquery', '_SESSION', BIGQUERY, "is BigQuery's session dataset"],
    ['snowflake', 'information_schema', SNOWFLAKE, "is Snowflake's metadata views"],
  ])('on %s, %s is refused with the reason', async (_engine, schema, warehouse, reason) => {
    const message = await problems(withState(warehouse, schema), { ...ENV, SF_PASSWORD: 'pw' });
    expect(message).toContain(`state.schema: "${schema}" ${reason}`);
    expect(message).toContain('name a schema of your own, e.g. cohort_sync');
  });

  it('is refused where the warehouse names it (BigQuery dataset, Snowflake schema)', async () => {
    expect(
      await problems(configWithWarehouse(BIGQUERY.replace(' }', ', dataset: INFORMATION_SCHEMA }'))),
    ).toContain('warehouse.dataset: "INFORMATION_SCHEMA" is BigQuery\'s metadata views');
    expect(
      await problems(configWithWarehouse(SNOWFLAKE.replace(' }', ', schema: INFORMATION_SCHEMA }')), {
        ...ENV,
        SF_PASSWORD: 'pw',
      }),
    ).toContain('warehouse.schema: "INFORMATION_SCHEMA" is Snowflake\'s metadata views');
  });

  it('ordinary names stay fine, main and public included', async () => {
    await expect(parseConfig(withState(DUCKDB, 'main'), '/p/c.yaml', ENV)).resolves.toBeDefined();
    await expect(parseConfig(withState(POSTGRES, 'public'), '/p/c.yaml', ENV)).resolves.toBeDefined();
    await expect(parseConfig(withState(POSTGRES, 'PG_TEMP'), '/p/c.yaml', ENV)).resolves.toBeDefined();
  });
});

describe('a DuckDB path that can hold no database file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(path.join(dir, 'a-folder'));
    await writeFile(path.join(dir, 'a-file'), 'not a folder');
  });

  it.each([
    [
      'under a regular file',
      'DIR/a-file/warehouse.duckdb',
      /cannot be created: .*\/a-file is a file, not a folder/,
    ],
    [
      'deep under a regular file',
      'DIR/a-file/x/y/warehouse.duckdb',
      /cannot be created: .*\/a-file is a file, not a folder/,
    ],
    ['a folder', 'DIR/a-folder', /is a folder; give the path of a database file in it/],
    ['a device', '/dev/null', /is not a regular file \(a device, socket or pipe\)/],
    [
      'under /proc',
      '/proc/self/status',
      /is under \/proc, a kernel file system, not a place for a database file/,
    ],
    ['a new file under /proc', '/proc/cohort-sync.duckdb', /is under \/proc, a kernel file system/],
    ['under /sys', '/sys/kernel/warehouse.duckdb', /is under \/sys, a kernel file system/],
  ])('%s is refused naming warehouse.path', async (_name, file, reason) => {
    const absolute = file.replace('DIR', dir);
    const message = await problems(configWithWarehouse(`{ type: duckdb, path: "${absolute}" }`));
    expect(message).toMatch(/warehouse\.path: /);
    expect(message).toMatch(reason);
  });

  it('a symbolic link into /proc is refused too; a new file in a folder is fine', async () => {
    const { symlink } = await import('node:fs/promises');
    await symlink('/proc/self', path.join(dir, 'linked'));
    expect(await problems(configWithWarehouse(`{ type: duckdb, path: "${dir}/linked/x.duckdb" }`))).toMatch(
      /warehouse\.path: .* is under \/proc/,
    );
    await expect(
      parseConfig(
        configWithWarehouse(`{ type: duckdb, path: "${dir}/new/deeper/w.duckdb" }`),
        '/p/c.yaml',
        ENV,
      ),
    ).resolves.toBeDefined();
  });
});
