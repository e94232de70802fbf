import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { runCli, type CliResult } from '../support/cli.js';
import { DATA_IMPORT_KEY, PARTNER_API_KEY, TEST_ENV, emulator } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { registerSecret } from '../support/secret-scan.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/** Everything the CLI prints is checked for secrets when the file ends (test/support/secret-scan.ts). */
function cli(args: string[], env: NodeJS.ProcessEnv = TEST_ENV): Promise<CliResult> {
  return runCli(args, { env });
}

describe('the cohort-sync command line', () => {
  let world: World;
  let braze: RunningEmulator;
  let config: string;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = duckdbEngine.isolate(dir);
    await warehouse.exec(
      `CREATE TABLE audience AS SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM range(1, 101) AS r(i)`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'members', query: 'SELECT external_id FROM audience' },
    ]);
    await world.config();
    config = world.configFile;
  });

  it('validate: exit 0 for a good config', async () => {
    const result = await cli(['validate', '--config', config]);
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/OK, 1 sync\(s\): members/) as unknown,
    });
  });

  it('exit 2 for a bad config, naming the file and key', async () => {
    const bad = path.join(world.dir, 'bad.yaml');
    await writeFile(bad, world.yaml().replace('cohort_name:', 'cohort_nam:'));
    const result = await cli(['run', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}:`);
    expect(result.stderr).toMatch(/syncs\[0\]\.cohort_nam: unknown key \(did you mean "cohort_name"\?\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user error
  });

  it('exit 2 for a missing environment variable, naming it', async () => {
    const result = await cli(['validate', '--config', config], { BRAZE_PARTNER_API_KEY: PARTNER_API_KEY });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/BRAZE_DATA_IMPORT_KEY is not set/);
  });

  it('exit 2 for usage errors: unknown command, unknown sync', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const unknownSync = await cli(['run', '--config', config, '--sync', 'nope']);
    expect(unknownSync.code).toBe(2);
    expect(unknownSync.stderr).toMatch(/unknown sync "nope".*defines: members/);
  });

  it('plan sends nothing; run syncs and prints a summary line; status shows the runs', async () => {
    const plan = await cli(['plan', '--config', config]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/to add\s+100/);
    expect(braze.state.history).toHaveLength(0);

    const run = await cli(['run', '--config', config]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^members: succeeded, \+100 −0/m);
    expect(braze.state.workspaces[0]!.cohorts.get('cohort-sync-members')?.members.size).toBe(100);

    const status = await cli(['status', '--config', config]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/SYNC\s+STATUS/);
    expect(status.stdout).toMatch(/members\s+succeeded\s/);
  });

  it('exit 1 with a clear message when the data import key is wrong', async () => {
    registerSecret('dik-not-the-right-one');
    await world.warehouse.exec(`INSERT INTO audience VALUES ('user-new')`);
    const result = await cli(['run', '--config', config], {
      ...TEST_ENV,
      BRAZE_DATA_IMPORT_KEY: 'dik-not-the-right-one',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/members: failed/);
    expect(result.stdout + result.stderr).toMatch(/Invalid client secret.*data_import_key/s);
    expect(result.stdout + result.stderr).not.toContain('dik-not-the-right-one');
  });

  it('exit 1 when Braze answers 401 "Partner not enabled" and echoes the data import key: the key is never printed', async () => {
    const notEnabled = await emulator({
      extra: {
        workspaces: [{ client_secret: DATA_IMPORT_KEY, partners: ['someone-else'], all_users_exist: true }],
      },
    });
    const other = new World(world.dir, world.warehouse, notEnabled, world.syncs);
    await other.config();
    await world.warehouse.exec(`INSERT INTO audience VALUES ('user-not-enabled')`);
    const result = await cli(['run', '--config', other.configFile]);
    expect(notEnabled.state.history.at(-1)).toMatchObject({ status: 401 });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      /Partner not enabled for client with client secret: \[redacted\]/,
    );
    expect(result.stdout + result.stderr).toMatch(/data_import_key is not enabled for partner "acme"/);
    expect(result.stdout + result.stderr).not.toContain(DATA_IMPORT_KEY);
    await world.config(); // back to the working emulator
  });

  it('exit 3 when a guardrail aborts', async () => {
    await world.warehouse.exec(`DELETE FROM audience WHERE external_id <> 'user-1'`);
    const result = await cli(['run', '--config', config]);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/members: aborted/);
    expect(result.stdout).toMatch(/max_removal_ratio/);

    const plan = await cli(['plan', '--config', config]);
    expect(plan.stdout).toMatch(/GUARDRAIL\s+a run would stop: the run would remove 99 of 100 members/);
    const overridden = await cli(['plan', '--config', config, '--allow-mass-removal']);
    expect(overridden.stdout).not.toMatch(/GUARDRAIL/);
    expect(overridden.stdout).toMatch(/to remove\s+99/);

    const forced = await cli(['run', '--config', config, '--allow-mass-removal']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^members: succeeded, \+0 −99/m);
    expect(braze.state.workspaces[0]!.cohorts.get('cohort-sync-members')?.members.size).toBe(1);
  });
});
