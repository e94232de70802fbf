import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import type { PlanDocument } from '../../src/cli/plan-document.js';
import { cohortMembers, emulator, membershipRequests, TEST_ENV } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { mainCli } from '../support/main-cli.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

const COHORT = 'cohort-sync-members';

describe('plan --json, plan --save and run --plan-id, run --limit', () => {
  let world: World;
  let braze: RunningEmulator;

  /** A fresh warehouse with `n` users (user-1 … user-n) in the audience, and a fresh cohort. */
  async function setUp(n: number): Promise<void> {
    const dir = await tempDir();
    const warehouse = duckdbEngine.isolate(dir);
    await warehouse.exec(
      `CREATE TABLE audience AS SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM range(1, ${n + 1}) AS r(i)`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'members', cohort_name: 'Members', query: 'SELECT external_id FROM audience' },
    ]);
    braze.state.workspaces[0]!.cohorts.delete(COHORT);
    braze.state.history.length = 0;
    await world.config();
  }
  const cli = (...args: string[]) => mainCli([...args, '--config', world.configFile]);
  const plan = async (...args: string[]) =>
    JSON.parse((await cli('plan', '--json', ...args)).stdout) as PlanDocument;

  beforeEach(async () => {
    braze ??= await emulator({ allUsersExist: true });
    for (const [name, value] of Object.entries(TEST_ENV)) vi.stubEnv(name, value);
  });

  it('plan --json prints the documented, stable shape', async () => {
    await setUp(5);
    await world.warehouse.exec(
      `INSERT INTO audience VALUES (NULL), ('user-1'), (''), ('${'x'.repeat(1100)}')`,
    );
    expect((await cli('run')).code).toBe(0); // first sync: 5 members
    await world.warehouse.exec(
      `DELETE FROM audience WHERE external_id = 'user-5'`,
      `INSERT INTO audience VALUES ('user-6')`,
    );

    const document = await plan('--show', '5');
    expect(document).toEqual({
      format_version: 1,
      syncs: [
        {
          sync: 'members',
          verdict: 'ok',
          run_id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
          plan_id: null,
          cohort: { id: COHORT, name: 'Members', size_now: 5, size_after: 5 },
          query: {
            rows: 9,
            members: 5,
            skipped: {
              no_identifier: 1,
              duplicate: 1,
              invalid: 2,
              invalid_reasons: {
                'blank identifier (empty or only spaces)': 1,
                'identifier longer than 1024 characters': 1,
              },
            },
          },
          changes: { add: 1, remove: 1 },
          braze: { requests: 1, data_points: 2 },
          guardrail: { would_stop: false, reason: null },
          error: null,
          samples: {
            add: [{ id_type: 'external_id', id: 'user-6' }],
            remove: [{ id_type: 'external_id', id: 'user-5' }],
          },
        },
      ],
    });
    // Without --show no id is printed: ids may be personal data.
    expect((await plan()).syncs[0]!.samples).toBeNull();
  });

  it('plan --json reports a guardrail verdict with its reason, and the text plan says it too', async () => {
    await setUp(10);
    expect((await cli('run')).code).toBe(0);
    await world.warehouse.exec(`DELETE FROM audience WHERE external_id <> 'user-1'`);
    const [sync] = (await plan()).syncs;
    expect(sync).toMatchObject({
      verdict: 'guardrail',
      changes: { add: 0, remove: 9 },
      cohort: { size_now: 10, size_after: 1 },
      guardrail: { would_stop: true, reason: expect.stringContaining('max_removal_ratio') as unknown },
    });
    const text = await cli('plan');
    expect(text.stdout).toMatch(/GUARDRAIL\s+a run would stop: the run would remove 9 of 10 members/);
    expect(text.code).toBe(0);
  });

  it('run --plan-id sends exactly the saved plan, even when the data changed since', async () => {
    await setUp(3);
    const saved = await cli('plan', '--save');
    const planId = /apply exactly this with: cohort-sync run --plan-id (\S+)/.exec(saved.stdout)?.[1];
    expect(planId).toBeDefined();
    expect(membershipRequests(braze)).toHaveLength(0);
    const [stored] = await world.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM $state.sync_changes WHERE run_id = '${planId}' AND status = 'planned'`,
    );
    expect(Number(stored!.n)).toBe(3);

    await world.warehouse.exec(`INSERT INTO audience VALUES ('user-late')`);
    const apply = await cli('run', '--plan-id', planId!);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/^members: succeeded, \+3 −0/m);
    expect(cohortMembers(braze, COHORT)).toEqual([
      'external_id:user-1',
      'external_id:user-2',
      'external_id:user-3',
    ]);

    // The next ordinary run picks up what the plan did not contain.
    expect((await cli('run')).stdout).toMatch(/^members: succeeded, \+1 −0/m);
    expect(cohortMembers(braze, COHORT)).toContain('external_id:user-late');
  });

  it('run --plan-id refuses a plan when the snapshot moved since, says why, and sends nothing', async () => {
    await setUp(3);
    const saved = (await plan('--save')).syncs[0]!;
    expect(saved.plan_id).toBe(saved.run_id);
    const moved = await cli('run');
    expect(moved.code).toBe(0);
    const requests = braze.state.history.length;

    const apply = await cli('run', '--plan-id', saved.plan_id!);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/^members: failed/m);
    expect(apply.stdout).toContain(
      `plan ${saved.plan_id} was not applied: the snapshot moved since the plan was made: run `,
    );
    expect(apply.stdout).toMatch(
      /applied \+3 −0; make a new one with: cohort-sync plan --sync members --save/,
    );
    expect(braze.state.history).toHaveLength(requests);
    const [refused] = await world.query<{ status: string; error: string }>(
      `SELECT status, error FROM $state.sync_runs WHERE dry_run = false ORDER BY started_at DESC LIMIT 1`,
    );
    expect(refused).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('snapshot moved') as unknown,
    });

    // The refused run sent nothing, so the next run has nothing of it to re-send.
    const next = await cli('run');
    expect(next.stdout).toMatch(/^members: succeeded, \+0 −0/m);
    expect(next.stdout + next.stderr).not.toContain('left unconfirmed');
    expect(braze.state.history).toHaveLength(requests);
  });

  it('run --plan-id refuses a plan that was not saved, and an id that is no plan (exit 2)', async () => {
    await setUp(2);
    const unsaved = (await plan()).syncs[0]!;
    const apply = await cli('run', '--plan-id', unsaved.run_id);
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain('its changes were not saved (plan without --save)');
    expect(membershipRequests(braze)).toHaveLength(0);

    const unknown = await cli('run', '--plan-id', 'no-such-plan');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no plan no-such-plan in cohort_sync.sync_runs');
    const mixed = await cli('run', '--plan-id', unsaved.run_id, '--limit', '5');
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('cannot be combined with --limit');
  });

  it('run --limit N sends N changes in full batches, the snapshot records just those, the next run the rest', async () => {
    await setUp(2500);
    const first = await cli('run', '--limit', '1200');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^members: succeeded, \+1200 −0/m);
    expect(first.stdout).toContain('1300 more change(s) left for the next run (--limit)');
    expect(cohortMembers(braze, COHORT)).toHaveLength(1200);
    expect(membershipRequests(braze).map((r) => r.adds + r.removes)).toEqual([1000, 200]);
    const [snapshot] = await world.query<{ n: number }>(`SELECT COUNT(*) AS n FROM $state.cohort_snapshot`);
    expect(Number(snapshot!.n)).toBe(1200);
    const recorded = await world.query<{ status: string; n: number }>(
      `SELECT status, COUNT(*) AS n FROM $state.sync_changes GROUP BY status`,
    );
    expect(recorded.map((r) => [r.status, Number(r.n)])).toEqual([['sent', 1200]]);

    const rest = await cli('run');
    expect(rest.stdout).toMatch(/^members: succeeded, \+1300 −0/m);
    expect(cohortMembers(braze, COHORT)).toHaveLength(2500);
    expect((await cli('run', '--limit', '0')).code).toBe(2);
  });
});
