import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProgress } from '../../src/cli/progress/format-progress.js';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { runCli } from '../support/cli.js';
import { emulator, TEST_ENV } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { tempDir } from '../support/temp-dir.js';
import { TmuxScreen } from '../support/tmux-screen.js';
import { World } from '../support/world.js';

describe('run progress', () => {
  let world: World;
  let braze: RunningEmulator;
  const screen = new TmuxScreen();

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = duckdbEngine.isolate(dir);
    await warehouse.exec(
      `CREATE TABLE audience AS SELECT 'user-' || CAST(i AS VARCHAR) AS external_id FROM range(0, 12000) AS r(i)`,
    );
    world = new World(
      dir,
      warehouse,
      braze,
      [{ name: 'members', cohort_name: 'Members', query: 'SELECT external_id FROM audience' }],
      'concurrency: 1',
    );
    await world.config();
  });
  afterAll(() => screen.kill());

  it('draws a live bar per sync in a terminal, then its final state and the summary line', async () => {
    // 12 requests of 1,000 ids, one at a time, 250 ms each: about three seconds of progress to watch.
    braze.state.faults.configure({ latency_ms: 250, membership_only: true });
    screen.startCli(['run', '--config', world.configFile], TEST_ENV);
    // Mid-run: part of the changes sent, a rate and an ETA.
    const during = await screen.waitFor(
      /members .* (?:[1-9]|[1-9]\d)% \| [\d,]+\/12,000 changes \| [\d,]+\/s \| ETA /,
    );
    expect(during).not.toMatch(/EXIT=/);
    const done = await screen.waitFor(/EXIT=\d+/);
    expect(done).toMatch(/EXIT=0/);
    expect(done).toMatch(
      /^members █{24} 100% \| 12,000\/12,000 changes \| [\d,]+\/s \| succeeded in [\d.]+s$/m,
    );
    expect(done).toMatch(/^members: succeeded, \+12000 −0/m);
    // The bar is drawn once at the end, not again after the summary line.
    expect(done.indexOf('100% |')).toBeLessThan(done.indexOf('members: succeeded'));
    expect(done.split('100% |')).toHaveLength(2);
  });

  it('prints no bar when output is not a terminal: one summary line per sync', async () => {
    await world.warehouse.exec(`INSERT INTO audience VALUES ('user-late')`);
    braze.state.faults.configure({});
    const result = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^members: succeeded, \+1 −0 .*\n$/);
    expect(result.stderr).not.toMatch(/[█░]/);
    expect(result.stderr).not.toContain('\u001b['); // no cursor movement or colours
  });

  it('formats a line with the bar, counts, rate, ETA, retries and failures', () => {
    const line = formatProgress(
      { sync: 'vip', done: 2500, total: 10_000, failed: 1000, retries: 3, rate: 1234.4, etaSeconds: 75 },
      6,
    );
    expect(line).toBe(
      'vip    ██████░░░░░░░░░░░░░░░░░░  25% | 2,500/10,000 changes | 1,234/s | ETA 75s | 3 retries | 1,000 failed',
    );
    expect(
      formatProgress({
        sync: 'vip',
        done: 0,
        total: 0,
        failed: 0,
        retries: 0,
        rate: 0,
        etaSeconds: undefined,
        diffing: true,
      }),
    ).toBe('vip computing the changes in the warehouse…');
    expect(
      formatProgress({
        sync: 'vip',
        done: 10,
        total: 10,
        failed: 0,
        retries: 0,
        rate: 5,
        etaSeconds: 0,
        finished: 'succeeded',
        elapsedSeconds: 130,
      }),
    ).toMatch(/100% \| 10\/10 changes \| 5\/s \| succeeded in 2m10s$/);
  });
});
