import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../../src/emulator/emulator-server.js';
import { atEnd } from '../../support/cleanup.js';
import { runCli } from '../../support/cli.js';
import { TEST_ENV, cohortMembers, emulator, membershipRequests } from '../../support/emulator.js';
import { snowflakeWarehouse } from '../../support/engines.js';
import { FAKE_SNOWFLAKE_PASSWORD, FAKE_SNOWFLAKE_USER } from '../../support/fake-snowflake/fake-login.js';
import { FakeSnowflake, type ReceivedStatement } from '../../support/fake-snowflake/fake-snowflake.js';
import { SNOWFLAKE_ERRORS } from '../../support/fake-snowflake/snowflake-errors.js';
import { snapshotMembers } from '../../support/invariants.js';
import { captureForSecretScan, registerSecret } from '../../support/secret-scan.js';
import { tempDir } from '../../support/temp-dir.js';
import { World } from '../../support/world.js';

const users = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();

const PASSPHRASE = 'sf-key-passphrase-51b7';
registerSecret(PASSPHRASE);
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

/**
 * Whole runs through the real snowflake-sdk against a fake of this file's own (so that faults can be
 * injected and every statement inspected), serving results in small chunks so that paging is exercised.
 */
describe('a sync on Snowflake, through the real SDK against the fake', () => {
  let fake: FakeSnowflake;
  let braze: RunningEmulator;
  let dir: string;
  let world: World;
  let data: string;

  const tagOf = (statement: ReceivedStatement) =>
    JSON.parse(String(statement.parameters.QUERY_TAG)) as Record<string, string>;

  async function setAudience(from: number, to: number): Promise<void> {
    await world.warehouse.exec(
      `DELETE FROM ${data}.audience`,
      `INSERT INTO ${data}.audience SELECT 'user-' || CAST(SEQ4() + ${from} AS VARCHAR) FROM TABLE(GENERATOR(ROWCOUNT => ${to - from + 1}))`,
    );
  }

  beforeAll(async () => {
    fake = await FakeSnowflake.start({
      users: { [FAKE_SNOWFLAKE_USER]: { password: FAKE_SNOWFLAKE_PASSWORD, publicKey: keys.publicKey } },
      warehouses: ['COHORT_SYNC_WH'],
      inlineRows: 100,
      chunkRows: 400,
    });
    atEnd(() => fake.close()); // after the World's own end-of-file reads of the audit tables
    dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = snowflakeWarehouse(fake.url);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(`CREATE SCHEMA ${data}`, `CREATE TABLE ${data}.audience (external_id VARCHAR)`);
    world = new World(dir, warehouse, braze, [
      { name: 'vip', query: `SELECT external_id FROM ${data}.audience` },
    ]);
    await setAudience(1, 2500);
  });

  it('first run adds every member; its statements carry a QUERY_TAG naming the sync and run, its stage tables are TRANSIENT', async () => {
    const since = fake.statements.length;
    const chunksBefore = fake.chunksServed;
    const report = await world.runOne();
    const chunks = fake.chunksServed - chunksBefore;
    expect(report).toMatchObject({ status: 'succeeded', query_rows: 2500, added: 2500, requests: 4 });
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual(users(1, 2500));
    expect(await snapshotMembers(world, 'vip')).toEqual(users(1, 2500));

    const ofRun = fake.statements.slice(since).filter((s) => tagOf(s).run_id === report.run_id);
    expect(ofRun.every((s) => tagOf(s).sync === 'vip' && tagOf(s).app === 'cohort-sync')).toBe(true);
    const stageStatements = fake.statements.slice(since).filter((s) => /STAGE_/.test(s.sql));
    expect(stageStatements.length).toBeGreaterThan(5);
    expect(stageStatements.every((s) => tagOf(s).run_id === report.run_id)).toBe(true);
    expect(ofRun.filter((s) => /^CREATE TRANSIENT TABLE/.test(s.sql))).toHaveLength(2);
    expect(ofRun.some((s) => / MINUS /.test(s.sql))).toBe(true);
    // 2,500 changes streamed: 100 rows inline, the rest in chunks of 400.
    expect(chunks).toBe(6);
  });

  it('second run sends only the churn, and the snapshot follows', async () => {
    await setAudience(1001, 3000);
    const report = await world.runOne();
    expect(report).toMatchObject({
      status: 'succeeded',
      to_add: 500,
      to_remove: 1000,
      added: 500,
      removed: 1000,
    });
    expect(cohortMembers(braze, 'cohort-sync-vip')).toEqual(users(1001, 3000));
    expect(await snapshotMembers(world, 'vip')).toEqual(users(1001, 3000));
    const tables = await world.query(
      `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'STAGE_%'`,
    );
    expect(tables).toEqual([]);
  });

  it('a guardrail aborts a run that would remove most of the cohort, before sending anything', async () => {
    await setAudience(2901, 3000);
    const before = membershipRequests(braze).length;
    const report = await world.runOne();
    expect(report).toMatchObject({ status: 'aborted', to_remove: 1900, added: 0, removed: 0 });
    expect(report.error).toMatch(/guardrail: .*1900 of 2000/);
    expect(membershipRequests(braze).length).toBe(before);
    expect(await snapshotMembers(world, 'vip')).toEqual(users(1001, 3000));
    await setAudience(1001, 3000);
  });

  it('a Snowflake error names the sync, the query file, the step and Snowflake’s code; nothing is sent', async () => {
    const queryFile = path.join(dir, 'audience.sql');
    await writeFile(queryFile, `SELECT external_id FROM ${data}.audience\n`);
    const filed = new World(dir, world.warehouse, braze, [{ name: 'filed', query: '', queryFile }]);
    fake.failStatements(
      /^CREATE TRANSIENT TABLE .*_MEMBERS/,
      SNOWFLAKE_ERRORS.permission(`schema '${world.warehouse.stateSchema.toUpperCase()}'`),
    );
    const before = membershipRequests(braze).length;
    const report = await filed.runOne();
    expect(report).toMatchObject({ status: 'failed', added: 0, requests: 0 });
    expect(report.error).toBe(
      `sync "filed" (query file ${queryFile}): staging the query result failed: SQL access control error:\n` +
        `Insufficient privileges to operate on schema '${world.warehouse.stateSchema.toUpperCase()}' (Snowflake error 003001, SQLSTATE 42501); grant the role the privilege (see docs/warehouses.md)`,
    );
    expect(membershipRequests(braze).length).toBe(before);
  });

  it('a warehouse that cannot run queries fails the run with what to check', async () => {
    const configFile = path.join(dir, 'suspended.yaml');
    const suspended = snowflakeWarehouse(fake.url, { warehouse: 'SUSPENDED_WH' });
    await writeFile(configFile, world.yaml().replace(/^warehouse: .*$/m, `warehouse: ${suspended.yaml}`));
    const result = await runCli(['run', '--config', configFile], { env: TEST_ENV });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      /Snowflake has no running warehouse for cohort-sync: No active warehouse selected in the current session.*\(Snowflake error 000606\)\. Check that warehouse SUSPENDED_WH exists, that the role has USAGE on it, and that it can resume/,
    );
  });

  it('a statement still running is awaited through getResultUrl; one past statement_timeout_seconds is cancelled, naming the key', async () => {
    const slow = new World(dir, snowflakeWarehouse(fake.url, { statement_timeout_seconds: 1 }), braze, [
      { name: 'waits', query: `SELECT * FROM ${data}.audience WHERE (SELECT SYSTEM$WAIT(1)) IS NOT NULL` },
      { name: 'stuck', query: `SELECT * FROM ${data}.audience WHERE (SELECT SYSTEM$WAIT(30)) IS NOT NULL` },
    ]);
    const polls = fake.stillRunningAnswers;
    const [waited, stuck] = await slow.run();
    expect(waited).toMatchObject({ status: 'succeeded', query_rows: 2000, added: 2000 });
    expect(fake.stillRunningAnswers).toBeGreaterThan(polls);
    expect(stuck).toMatchObject({ status: 'failed', requests: 0 });
    expect(stuck!.error).toMatch(
      /^sync "stuck": staging the query result failed: Snowflake cancelled a statement that ran longer than 1 s \(warehouse\.statement_timeout_seconds\): Statement reached its statement or warehouse timeout/,
    );
  });

  it('logs in with an encrypted private key (key-pair authentication)', async () => {
    const keyFile = path.join(dir, 'rsa_key.p8');
    await writeFile(
      keyFile,
      keys.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }),
    );
    const keyed = snowflakeWarehouse(fake.url, {
      private_key_path: keyFile,
      private_key_passphrase: PASSPHRASE,
    });
    const { password: _password, ...config } = keyed.config as Record<string, unknown>;
    const env = { ...TEST_ENV, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: PASSPHRASE };
    const yaml = keyed.yaml
      .replace(/password: "\$\{SNOWFLAKE_PASSWORD\}", /, '')
      .replace(JSON.stringify(PASSPHRASE), '"${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}"');
    const configFile = path.join(dir, 'keyed.yaml');
    await writeFile(configFile, world.yaml().replace(/^warehouse: .*$/m, `warehouse: ${yaml}`));
    expect(config).toMatchObject({ private_key_path: keyFile });
    const result = await runCli(['run', '--config', configFile], { env });
    captureForSecretScan('key-pair run', result.stdout + result.stderr);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^vip: succeeded/m) as unknown });

    const wrong = await runCli(['run', '--config', configFile], {
      env: { ...env, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: 'not-the-passphrase' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /cannot load the private key in .*rsa_key\.p8 \(warehouse\.private_key_path\): .*; check warehouse\.private_key_passphrase/,
    );
  });

  it('a refused login is one line naming the account and user, exit 1; the SDK prints nothing and the password never appears', async () => {
    const wrongPassword = 'sf-wrong-password-0c3d';
    registerSecret(wrongPassword);
    await world.config();
    const result = await runCli(['run', '--config', world.configFile], {
      env: { ...TEST_ENV, SNOWFLAKE_PASSWORD: wrongPassword },
    });
    captureForSecretScan('refused Snowflake login', result.stdout + result.stderr);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `error: Snowflake refused the login of account testaccount at ${fake.url} as ${FAKE_SNOWFLAKE_USER}: Incorrect username or password was specified. (Snowflake error 390100; check warehouse.username, password or private_key_path, and role)`,
    ]);
  });
});

describe('the lease lock on Snowflake', () => {
  let fake: FakeSnowflake;
  let world: World;
  let locks: string;

  beforeAll(async () => {
    fake = await FakeSnowflake.start({
      users: { [FAKE_SNOWFLAKE_USER]: { password: FAKE_SNOWFLAKE_PASSWORD } },
    });
    atEnd(() => fake.close());
    const dir = await tempDir();
    const braze = await emulator({ allUsersExist: true });
    const warehouse = snowflakeWarehouse(fake.url);
    locks = `${warehouse.stateSchema}.sync_locks`;
    world = new World(dir, warehouse, braze, [
      {
        name: 'leased',
        query: `SELECT 'user-' || CAST(SEQ4() AS VARCHAR) AS external_id FROM TABLE(GENERATOR(ROWCOUNT => 10))`,
      },
    ]);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 10 });
  });

  it('a live lease of another host skips the run, naming the holder; an expired one is taken over', async () => {
    await world.warehouse.exec(
      `INSERT INTO ${locks} VALUES ('leased', 'elsewhere:4242', 'run-elsewhere', CURRENT_TIMESTAMP, CAST('2999-01-01T00:00:00Z' AS TIMESTAMP_TZ))`,
    );
    const skipped = await world.runOne();
    expect(skipped).toMatchObject({ status: 'skipped' });
    expect(skipped.error).toMatch(
      /sync "leased" is already running \(run id run-elsewhere, since .*, owner elsewhere:4242\)/,
    );

    await world.warehouse.exec(
      `UPDATE ${locks} SET lease_until = CAST('2000-01-01T00:00:00Z' AS TIMESTAMP_TZ)`,
    );
    expect(await world.runOne()).toMatchObject({ status: 'succeeded' });
    expect(await world.query(`SELECT * FROM $state.sync_locks`)).toEqual([]);
  });

  it('two runs that both found the lease free: the one that sees the other’s row backs off, and the row it wrote is gone', async () => {
    // Another process inserts its lease row right after this run inserted its own, before either reads back.
    fake.runConcurrently(
      /^insert into ".*"\."SYNC_LOCKS"/,
      `INSERT INTO ${locks} VALUES ('leased', 'racer:7', 'run-racer', CURRENT_TIMESTAMP, CAST('2999-01-01T00:00:00Z' AS TIMESTAMP_TZ))`,
    );
    const report = await world.runOne();
    expect(report).toMatchObject({ status: 'skipped', requests: 0 });
    expect(report.error).toMatch(/owner racer:7/);
    expect(await world.query(`SELECT run_id FROM $state.sync_locks`)).toEqual([{ run_id: 'run-racer' }]);
  });
});
