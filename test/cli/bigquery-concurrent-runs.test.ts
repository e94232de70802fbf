import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { twoRunsAtOnce } from '../support/cli.js';
import { TEST_ENV, cohortMembers, emulator, membershipRequests } from '../support/emulator.js';
import type { FakeBigQuery } from '../support/fake-bigquery/fake-bigquery.js';
import { fakeBigQueryAudience } from '../support/fake-bigquery/fake-bigquery-warehouse.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/**
 * Invariant 3 across processes on BigQuery, where the lock is a lease row: two `cohort-sync run` of one
 * sync started together, through the real SDK against the fake (which runs in this process).
 */
describe('two runs of the same sync started at once on BigQuery (fake)', () => {
  let world: World;
  let braze: RunningEmulator;
  let fake: FakeBigQuery;
  let data: string;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const made = await fakeBigQueryAudience(dir, 1, 2500);
    ({ fake, data } = made);
    world = new World(dir, made.warehouse, braze, [
      { name: 'twice', query: `SELECT external_id FROM \`${data}.audience\`` },
    ]);
    await world.query('SELECT 1 AS migrated'); // the state tables exist before the two processes start
  });

  it('exactly one sends; the other is recorded as skipped and exits 0', async () => {
    // A gate: whichever run takes the lease first waits while BigQuery "runs" its audience query, so the
    // second run is certain to find the lease taken, however the two processes are scheduled.
    const open = fake.hold(new RegExp(`CREATE TABLE \`[^\`]+\`\\.\`stage_\\w+_members\``));
    const { first, results } = await twoRunsAtOnce(world.configFile, TEST_ENV, open);
    const skipped = results.find((result) => /^twice: skipped/m.test(result.stdout));
    const sender = results.find((result) => /^twice: succeeded/m.test(result.stdout));
    expect(first).toBe(skipped);
    expect(skipped).toMatchObject({ code: 0 });
    expect(sender).toMatchObject({ code: 0 });
    expect(sender?.stdout).toMatch(/^twice: succeeded, \+2500 −0/m);
    expect(skipped?.stdout + skipped!.stderr).toMatch(/sync "twice" is already running \(run id /);

    const requests = membershipRequests(braze);
    expect(requests.reduce((sum, request) => sum + (request.adds ?? 0), 0)).toBe(2500);
    expect(cohortMembers(braze, 'cohort-sync-twice')).toHaveLength(2500);
    const audit = await world.query<{ status: string }>(
      `SELECT status FROM \`$state.sync_runs\` ORDER BY status`,
    );
    expect(audit.map((row) => row.status)).toEqual(['skipped', 'succeeded']);
  });
});
