import { beforeAll, describe, expect, it, vi } from 'vitest';
import { formatStatus } from '../../src/cli/format-status.js';
import type { StatusDocument, StatusRun } from '../../src/cli/status-document.js';
import { emulator, TEST_ENV } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { mainCli } from '../support/main-cli.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

describe('cohort-sync status', () => {
  let world: World;
  const cli = (...args: string[]) => mainCli([...args, '--config', world.configFile]);
  const status = async (...args: string[]) =>
    JSON.parse((await cli('status', '--json', ...args)).stdout) as StatusDocument;

  beforeAll(async () => {
    for (const [name, value] of Object.entries(TEST_ENV)) vi.stubEnv(name, value);
    const dir = await tempDir();
    const warehouse = duckdbEngine.isolate(dir);
    await warehouse.exec(
      `CREATE TABLE audience AS SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM range(1, 11) AS r(i)`,
    );
    world = new World(dir, warehouse, await emulator({ allUsersExist: true }), [
      { name: 'alpha', cohort_name: 'Alpha', query: 'SELECT external_id FROM audience' },
      {
        name: 'beta',
        cohort_name: 'Beta',
        query: `SELECT external_id FROM audience WHERE external_id <> ''`,
      },
      { name: 'gamma', cohort_name: 'Gamma', query: 'SELECT external_id FROM audience' },
    ]);
    await world.config();
    expect((await cli('run', '--sync', 'alpha', '--sync', 'beta')).code).toBe(0);
    await world.warehouse.exec(
      `DELETE FROM audience WHERE external_id IN ('user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6')`,
      `INSERT INTO audience VALUES ('')`,
    );
    expect((await cli('run', '--sync', 'alpha')).code).toBe(3); // 6 of 10 removed: the guardrail stops it
    expect((await cli('plan', '--sync', 'beta')).code).toBe(0);
  });

  it('status --json: the latest real run of each sync, in the documented shape, and the syncs never run', async () => {
    const document = await status();
    expect(document.format_version).toBe(1);
    expect(document.never_run).toEqual(['gamma']);
    expect(document.runs.map((r) => [r.sync_name, r.status, r.dry_run])).toEqual([
      ['alpha', 'aborted', false],
      ['beta', 'succeeded', false],
    ]);
    const [alpha] = document.runs;
    expect(alpha).toEqual({
      run_id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      sync_name: 'alpha',
      status: 'aborted',
      dry_run: false,
      trigger: 'manual',
      cohort_id: 'cohort-sync-alpha',
      cohort_name: 'Alpha',
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      finished_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      duration_ms: expect.any(Number) as unknown,
      query_rows: 5,
      skipped_null: 0,
      skipped_duplicate: 0,
      skipped_invalid: 1,
      skip_reasons: { 'blank identifier (empty or only spaces)': 1 },
      to_add: 0,
      to_remove: 6,
      added: 0,
      removed: 0,
      failed: 0,
      requests: 0,
      retries: 0,
      error: expect.stringMatching(/^guardrail: the run would remove 6 of 10 members \(60\.0%\)/) as unknown,
    });
    expect(alpha!.duration_ms).toBe(Date.parse(alpha!.finished_at!) - Date.parse(alpha!.started_at));
  });

  it('--limit N shows the last N runs of each sync, newest first; --plans adds dry runs; --sync selects', async () => {
    const history = await status('--limit', '5');
    expect(history.runs.map((r) => [r.sync_name, r.status])).toEqual([
      ['alpha', 'aborted'],
      ['alpha', 'succeeded'],
      ['beta', 'succeeded'],
    ]);
    const withPlans = await status('--limit', '5', '--plans', '--sync', 'beta');
    expect(withPlans.runs.map((r) => [r.sync_name, r.dry_run])).toEqual([
      ['beta', true],
      ['beta', false],
    ]);
    expect(withPlans.never_run).toEqual([]);
    expect((await cli('status', '--limit', '0')).code).toBe(2);
  });

  it('prints a readable table with an error excerpt and the syncs never run', async () => {
    const { stdout, code } = await cli('status');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^SYNC\s+STATUS\s+STARTED \(UTC\)\s+AGE\s+DURATION\s+ADDED\s+REMOVED\s+FAILED\s+ERROR$/,
    );
    expect(lines[1]).toMatch(
      /^alpha\s+aborted\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+s ago\s+\d+ ms\s+0\s+0\s+0\s+guardrail: the run would remove 6 of 10 members/,
    );
    expect(lines[1]!.length).toBeLessThan(200);
    expect(lines[2]).toMatch(/^beta\s+succeeded\s.*\s10\s+0\s+0$/);
    expect(lines[3]).toMatch(/^gamma\s+never run$/);
    expect(lines[4]).toBe('(errors shortened; status --json or sync_runs.error has them whole)');
  });

  it('formats ages and durations for people', () => {
    const run = (started: string, finished: string | null, status = 'succeeded'): StatusRun => ({
      ...({} as StatusRun),
      sync_name: 's',
      status,
      dry_run: false,
      started_at: started,
      finished_at: finished,
      duration_ms: finished ? Date.parse(finished) - Date.parse(started) : null,
      added: 1,
      removed: 2,
      failed: 0,
      error: null,
    });
    const now = new Date('2026-03-01T12:00:00Z');
    const text = formatStatus(
      {
        format_version: 1,
        never_run: [],
        runs: [
          run('2026-03-01T11:59:30Z', '2026-03-01T11:59:31.500Z'),
          run('2026-03-01T09:00:00Z', '2026-03-01T09:45:00Z'),
          run('2026-02-20T12:00:00Z', null, 'running'),
        ],
      },
      now,
    );
    const rows = text.split('\n').slice(1);
    expect(rows[0]).toMatch(/2026-03-01 11:59:30\s+30s ago\s+1\.5 s\s+1\s+2\s+0$/);
    expect(rows[1]).toMatch(/2026-03-01 09:00:00\s+3h ago\s+45 min\s/);
    expect(rows[2]).toMatch(/running\s+2026-02-20 12:00:00\s+9d ago\s+running\s/);
  });
});
