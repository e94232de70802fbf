import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { DATA_IMPORT_KEY, TEST_ENV, emulator } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/**
 * A query may interpolate an environment variable that holds a secret; the warehouse's error then quotes
 * it. The secret must not reach sync_runs, sync_changes or the output (the suite's secret scan reads both
 * the output of every CLI call and, when the file ends, every audit table of every World).
 */
describe.each(ENGINES)('error texts with a secret in them, on $name', (engine) => {
  it('are stored and printed with the secret redacted', async () => {
    const dir = await tempDir();
    const world = new World(dir, engine.isolate(dir), await emulator({ allUsersExist: true }), [
      { name: 'leaky', query: 'SELECT external_id FROM "missing_${BRAZE_DATA_IMPORT_KEY}"' },
    ]);
    await world.config();
    const result = await runCli(['run', '--config', world.configFile], { env: TEST_ENV });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/missing_\[redacted\]/);
    const [run] = await world.query<{ status: string; error: string }>(
      'SELECT status, error FROM $state.sync_runs',
    );
    expect(run!.status).toBe('failed');
    expect(run!.error).toMatch(/missing_\[redacted\]/);
    expect(run!.error).not.toContain(DATA_IMPORT_KEY);
  });
});
