import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { runCli } from '../support/cli.js';
import { TEST_ENV } from '../support/emulator.js';
import { registerSecret } from '../support/secret-scan.js';
import { tempDir } from '../support/temp-dir.js';
import { configProblems, configWithWarehouse } from '../support/config-text.js';

const FILE = '/project/config/cohort-sync.yaml';
const ENV = {
  BRAZE_PARTNER_API_KEY: 'pk-1234',
  BRAZE_DATA_IMPORT_KEY: 'dik-5678',
  DATABASE_URL: 'postgres://reader:p%40ss-w0rd@db.internal:6543/analytics?sslmode=verify-full',
  PGPASSWORD: 'hunter2-pg',
};

const yaml = (warehouse: string) => configWithWarehouse(warehouse);

const problems = (warehouse: string) => configProblems(yaml(warehouse), ENV, FILE);

describe('the postgres warehouse config', () => {
  it('takes the URL from the environment, with defaults, and redacts the URL and its password', async () => {
    const config = await parseConfig(yaml("{ type: postgres, url: '${DATABASE_URL}' }"), FILE, ENV);
    expect(config.warehouse).toEqual({
      type: 'postgres',
      url: ENV.DATABASE_URL,
      connect_timeout_seconds: 30,
      application_name: 'cohort-sync',
    });
    expect(config.secrets).toEqual(expect.arrayContaining([ENV.DATABASE_URL, 'p@ss-w0rd', 'p%40ss-w0rd']));
  });

  it('takes discrete keys, the password from the environment', async () => {
    const config = await parseConfig(
      yaml(
        "{ type: postgres, host: db.internal, port: 6543, database: analytics, user: reader, password: '${PGPASSWORD}', ssl: require, statement_timeout_seconds: 600 }",
      ),
      FILE,
      ENV,
    );
    expect(config.warehouse).toMatchObject({
      host: 'db.internal',
      port: 6543,
      ssl: 'require',
      password: 'hunter2-pg',
    });
    expect(config.secrets).toContain('hunter2-pg');
  });

  it('accepts a literal URL without a password, and refuses one with a password written in the file', async () => {
    await expect(
      parseConfig(yaml('{ type: postgres, url: "postgres://reader@db.internal/analytics" }'), FILE, ENV),
    ).resolves.toBeDefined();
    const message = await problems(
      '{ type: postgres, url: "postgres://reader:written-down@db.internal/analytics" }',
    );
    expect(message).toMatch(
      /warehouse\.url: must be an environment variable reference such as \$\{DATABASE_URL\}; secrets are never written in config files/,
    );
    expect(
      await problems('{ type: postgres, host: h, database: d, user: u, password: written-down }'),
    ).toMatch(/warehouse\.password: must be an environment variable reference such as \$\{PGPASSWORD\}/);
  });

  it('wants either a url or host, database and user, and says which', async () => {
    expect(await problems("{ type: postgres, url: '${DATABASE_URL}', host: other, ssl: true }")).toMatch(
      /warehouse\.host: give either url or host\/port\/database\/user\/password, not both[\s\S]*warehouse\.ssl: give TLS settings in the url/,
    );
    expect(await problems('{ type: postgres }')).toMatch(
      /warehouse: needs url \(e\.g\. url: \$\{DATABASE_URL\}\) or host, database and user/,
    );
    expect(await problems('{ type: postgres, host: db.internal }')).toMatch(
      /warehouse\.database: is required when url is not given[\s\S]*warehouse\.user: is required when url is not given/,
    );
    expect(await problems('{ type: postgres, url: "mysql://x@y/z" }')).toMatch(
      /warehouse\.url: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it('an unreachable server is one clear line naming the server, exit 1, and never the password', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'pg.yaml');
    await writeFile(
      file,
      yaml("{ type: postgres, url: '${DATABASE_URL}', connect_timeout_seconds: 5 }").replace(
        'https://rest.iad-01.braze.com',
        'http://127.0.0.1:9',
      ),
    );
    const password = 'Sup3r-secret-pw';
    registerSecret(password);
    const result = await runCli(['run', '--config', file], {
      env: { ...TEST_ENV, DATABASE_URL: `postgres://reader:${password}@127.0.0.1:1/analytics` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: cannot connect to PostgreSQL at 127\.0\.0\.1:1\/analytics as reader: connect ECONNREFUSED 127\.0\.0\.1:1 \(is the server running and reachable\? see warehouse\.url or host\/port\)$/m,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout + result.stderr).not.toContain(password);
  });
});
