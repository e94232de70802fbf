import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { aliasBomb } from '../support/alias-bomb.js';
import { BIN, runCli, type CliResult } from '../support/cli.js';
import { configWithWarehouse } from '../support/config-text.js';
import { cohortMembers, emulator, TEST_ENV } from '../support/emulator.js';
import { ENGINES, execWith, type TestWarehouse } from '../support/engines.js';
import { TEST_POSTGRES_URL } from '../support/postgres-server.js';
import { registerSecret } from '../support/secret-scan.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/**
 * Hostile and clumsy config through the CLI, as a user meets it (issue 15): the exit code, the one message,
 * and that nothing ran or hung. Config-level details are in test/config/hostile-config.test.ts.
 */
const NOBODY = 65534;

/** The CLI run as an unprivileged user (root may write anywhere, so a permission test needs another). */
function runCliAsNobody(args: string[], cwd: string): Promise<CliResult> {
  const asRoot = process.getuid?.() === 0;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { PATH: process.env.PATH, HOME: cwd, ...TEST_ENV },
        cwd,
        timeout: 60_000,
        ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The one-line-per-problem ConfigError a user sees: exit 2, no stack, no "please report it". */
function expectBadConfig(result: CliResult, file: string): void {
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(
    new RegExp(`^error: invalid config \\(\\d+ problems?\\):\\n {2}${escape(file)}`),
  );
  expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('hostile config through the CLI', () => {
  let dir: string;
  const write = async (name: string, text: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    return file;
  };
  beforeAll(async () => {
    dir = await tempDir();
  });

  it('a YAML alias bomb: exit 2 naming the file, at once', async () => {
    const file = await write('bomb.yaml', aliasBomb());
    const started = Date.now();
    const result = await runCli(['validate', '--config', file], { env: TEST_ENV });
    expectBadConfig(result, file);
    expect(result.stderr).toContain(
      'YAML aliases (*name) expand to more than 100 copies, as an alias bomb would',
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a NUL in cohort_name: validate refuses it (exit 2) instead of run aborting later', async () => {
    const file = await write(
      'nul.yaml',
      configWithWarehouse(`{ type: duckdb, path: ${dir}/nul.duckdb }`).replace(
        'cohort_name: VIP customers',
        () => 'cohort_name: "VIP\\0"',
      ),
    );
    const result = await runCli(['validate', '--config', file], { env: TEST_ENV });
    expectBadConfig(result, file);
    expect(result.stderr).toContain(
      'syncs[0].cohort_name: contains a control character (U+0000 at character 4)',
    );
  });

  it('a DuckDB path under /proc: run refuses it (exit 2) instead of spinning forever', async () => {
    const file = await write('proc.yaml', configWithWarehouse('{ type: duckdb, path: /proc/self/mem }'));
    const result = await runCli(['run', '--config', file], { env: TEST_ENV });
    expectBadConfig(result, file);
    expect(result.stderr).toContain(
      'warehouse.path: /proc/self/mem is under /proc, a kernel file system, not a place for a database file',
    );
  });

  it('a DuckDB path under a regular file: exit 2 naming warehouse.path', async () => {
    await writeFile(path.join(dir, 'plain-file'), 'x');
    const file = await write(
      'under-file.yaml',
      configWithWarehouse(`{ type: duckdb, path: ${dir}/plain-file/w.duckdb }`),
    );
    const result = await runCli(['run', '--config', file], { env: TEST_ENV });
    expectBadConfig(result, file);
    expect(result.stderr).toMatch(
      /warehouse\.path: .*\/plain-file\/w\.duckdb cannot be created: .*\/plain-file is a file, not a folder/,
    );
  });

  it('a DuckDB folder this user may not write: exit 1, naming warehouse.path and what to do', async () => {
    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'locked'), { recursive: true });
    await chmod(dir, 0o755);
    await chmod(project, 0o755);
    await chmod(path.join(project, 'locked'), 0o555);
    const file = path.join(project, 'c.yaml');
    await writeFile(file, configWithWarehouse('{ type: duckdb, path: locked/data/w.duckdb }'));
    await chmod(file, 0o644);
    const result = await runCliAsNobody(['run', '--config', file], project);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: cannot create the folder of warehouse\.path .*\/locked\/data\/w\.duckdb: EACCES: permission denied.*; create it, or choose a path this user may write$/m,
    );
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('a PostgreSQL URL with an unencoded # in the password: exit 2 naming warehouse.url, the password never shown', async () => {
    const password = 'Pa55#word-7731';
    registerSecret(password);
    const file = await write(
      'pg-hash.yaml',
      configWithWarehouse("{ type: postgres, url: '${DATABASE_URL}' }"),
    );
    const result = await runCli(['validate', '--config', file], {
      env: { ...TEST_ENV, DATABASE_URL: `postgres://reader:${password}@127.0.0.1:5432/test` },
    });
    expectBadConfig(result, file);
    expect(result.stderr).toMatch(
      /warehouse\.url: .*percent-encode reserved characters in the user name and password \(# as %23/,
    );
    expect(result.stderr + result.stdout).not.toContain('Pa55');
  });

  it('a literal password in a PostgreSQL URL beside sslrootcert: exit 2, and the password is not echoed', async () => {
    const password = 'literal-pw-4410';
    registerSecret(password);
    const file = await write(
      'pg-literal.yaml',
      configWithWarehouse(
        `{ type: postgres, url: "postgres://reader:${password}@db.internal/analytics?sslmode=verify-full&sslrootcert=/etc/db-ca.pem" }`,
      ),
    );
    const result = await runCli(['validate', '--config', file], { env: TEST_ENV });
    expectBadConfig(result, file);
    expect(result.stderr).toContain(
      'warehouse.url: must be an environment variable reference such as ${DATABASE_URL}',
    );
    expect(result.stderr).not.toContain(password);
  });

  it('a numeric literal secret: exit 2, and the number is not echoed', async () => {
    const file = await write(
      'numeric.yaml',
      configWithWarehouse(`{ type: duckdb, path: ${dir}/n.duckdb }`).replace(
        '${BRAZE_DATA_IMPORT_KEY}',
        '31415926535',
      ),
    );
    const result = await runCli(['validate', '--config', file], { env: TEST_ENV });
    expectBadConfig(result, file);
    expect(result.stderr).toContain('braze.data_import_key: expected a string, got a number');
    expect(result.stderr).not.toContain('31415926535');
  });

  const POSTGRES = `{ type: postgres, url: "${TEST_POSTGRES_URL}" }`;
  it.each([
    ['postgres', 'pg_temp', POSTGRES, 'per-session temporary schema'],
    ['postgres', 'information_schema', POSTGRES, 'system catalog schema'],
    ['duckdb', 'temp', '{ type: duckdb, path: w.duckdb }', 'catalog of temporary tables'],
  ])(
    'state.schema a system schema on %s (%s): run refuses it (exit 2) with the reason',
    async (_engine, schema, warehouse, reason) => {
      const file = await write(
        `state-${schema}.yaml`,
        configWithWarehouse(warehouse, `state: { schema: ${schema} }`),
      );
      const result = await runCli(['run', '--config', file], { env: TEST_ENV });
      expectBadConfig(result, file);
      expect(result.stderr).toContain(`state.schema: "${schema}" is`);
      expect(result.stderr).toContain(reason);
    },
  );
});

describe('a DuckDB file named after the state schema', () => {
  let braze: RunningEmulator;
  let world: World;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const file = path.join(dir, 'cohort_sync.duckdb');
    // Set up as a user would, in the file DuckDB names `cohort_sync`; only the loader picks another name.
    const warehouse: TestWarehouse = {
      yaml: `{ type: duckdb, path: ${file} }`,
      config: { type: 'duckdb', path: file },
      stateSchema: 'cohort_sync',
      exec: (...statements) => execWith({ type: 'duckdb', path: file }, statements),
    };
    await warehouse.exec(
      'CREATE SCHEMA shop',
      "CREATE TABLE shop.vips AS SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM range(1, 4) AS r(i)",
    );
    world = new World(dir, warehouse, braze, [{ name: 'vip', query: 'SELECT external_id FROM shop.vips' }]);
    await world.config(); // writes the config file
  });

  it('works: runs add, then follow the audience, and status reads the state tables', async () => {
    const first = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
    expect(first.stderr).not.toMatch(/ambiguous/i);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^vip: succeeded, \+3 −0/m);
    await world.warehouse.exec("DELETE FROM shop.vips WHERE external_id = 'user-1'");
    const second = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
    expect(second.stdout).toMatch(/^vip: succeeded, \+0 −1/m);
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual(['external_id:user-2', 'external_id:user-3']);
    const status = await runCli(['status', '--config', world.configFile], { env: TEST_ENV });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('vip');
  });
});

describe.each(ENGINES)('an audience query ending in a semicolon and a comment, on $name', (engine) => {
  let braze: RunningEmulator;
  let world: World;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = engine.isolate(dir);
    await writeFile(path.join(dir, 'vip.sql'), `${engine.userIds(1, 3)}; -- the VIPs\n`);
    world = new World(dir, warehouse, braze, [
      { name: 'inline', query: `${engine.userIds(1, 2)}; -- the VIPs` },
      { name: 'from_file', query: '', queryFile: path.join(dir, 'vip.sql') },
    ]);
    await world.config();
  });

  it('runs (exit 0), inline and from a file', async () => {
    const result = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
    expect(result.stderr).not.toMatch(/error|syntax/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^inline: succeeded, \+2 −0/m);
    expect(result.stdout).toMatch(/^from_file: succeeded, \+3 −0/m);
    expect(cohortMembers(braze, 'cohort-sync-from_file')).toHaveLength(3);
  });
});
