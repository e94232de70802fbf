import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { atEnd } from '../support/cleanup.js';
import { twoRunsAtOnce } from '../support/cli.js';
import { audienceWarehouse } from '../support/audience.js';
import { TEST_ENV, cohortMembers, membershipRequests } from '../support/emulator.js';
import { postgresEngine } from '../support/engines.js';
import { TEST_POSTGRES_URL } from '../support/postgres-server.js';
import { World } from '../support/world.js';

const RUN_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** Invariant 3 across processes: two `cohort-sync run` of one sync started together on PostgreSQL. */
describe.skipIf(!inject('postgresAvailable'))('two runs of the same sync started at once on postgres', () => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;

  beforeAll(async () => {
    const { dir, warehouse, ...setup } = await audienceWarehouse(postgresEngine);
    ({ braze, data } = setup);
    await warehouse.exec(`INSERT INTO ${data}.audience ${postgresEngine.userIds(1, 2500)}`);
    world = new World(dir, warehouse, braze, [
      { name: 'twice', query: `SELECT external_id FROM ${data}.audience` },
    ]);
    await world.config(); // writes the file; the state schema does not exist yet: both processes create it
  });

  it('exactly one sends; the other is recorded as skipped, says who holds the sync, and exits 0', async () => {
    // A gate: whichever run takes the sync lock first waits at the audience table until the test opens it,
    // so the second run is certain to find the lock taken, however the two processes are scheduled.
    const gate = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    gate.on('error', () => undefined);
    await gate.connect();
    atEnd(() => gate.end().catch(() => undefined));
    await gate.query('BEGIN');
    await gate.query(`LOCK TABLE ${data}.audience IN ACCESS EXCLUSIVE MODE`);

    const { first, results } = await twoRunsAtOnce(world.configFile, TEST_ENV, () => gate.query('COMMIT'));
    const skipped = results.find((result) => /^twice: skipped/m.test(result.stdout));
    const sender = results.find((result) => /^twice: succeeded/m.test(result.stdout));

    expect(first).toBe(skipped); // the skipped run ended while the other still waited at the gate
    expect(skipped).toMatchObject({ code: 0 });
    expect(sender).toMatchObject({ code: 0 });
    expect(sender?.stdout).toMatch(/^twice: succeeded, \+2500 −0/m);
    const holderRunId = RUN_ID.exec(sender!.stdout.split(' run ')[1] ?? '')?.[0];
    expect(skipped?.stdout + skipped!.stderr).toMatch(
      new RegExp(
        `sync "twice" is already running \\(run id ${holderRunId}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, owner [^:]+:\\d+\\)`,
      ),
    );

    // One set of membership requests: 2,500 adds in three requests, each member once.
    const requests = membershipRequests(braze);
    expect(requests.map((request) => request.status)).toEqual([201, 201, 201]);
    expect(requests.reduce((sum, request) => sum + (request.adds ?? 0), 0)).toBe(2500);
    expect(cohortMembers(braze, 'cohort-sync-twice')).toHaveLength(2500);

    const audit = await world.query<{ run_id: string; status: string; error: string | null }>(
      `SELECT run_id, status, error FROM $state.sync_runs ORDER BY status`,
    );
    expect(audit).toEqual([
      {
        run_id: expect.stringMatching(RUN_ID) as unknown,
        status: 'skipped',
        error: expect.stringContaining(`run id ${holderRunId}`) as unknown,
      },
      { run_id: holderRunId, status: 'succeeded', error: null },
    ]);
  });
});
