import { describe, expect, it } from 'vitest';
import { DATA_IMPORT_KEY, PARTNER_API_KEY, emulator } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { capturedMatching, findLeaks, leaksIn } from '../support/secret-scan.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/**
 * The suite's secret scan (test/support/secret-scan.ts) runs when each test file ends, over every byte
 * the CLI printed, every log line of in-process runs and every audit row. These tests show it can fail,
 * and that the output most likely to carry a key — Braze echoing it in a 401 — reaches it redacted.
 */
describe('the secret scan of the suite', () => {
  it('finds a configured secret anywhere in captured text, and names the place without printing the secret', () => {
    const leaks = leaksIn(
      [
        { what: 'stdout of a run', text: `line 1\nconnecting with ${DATA_IMPORT_KEY}…\n` },
        { what: 'audit tables', text: '[{"error":"Braze returned 401: [redacted]"}]' },
        { what: 'stderr of a run', text: `x${PARTNER_API_KEY}x` },
      ],
      [PARTNER_API_KEY, DATA_IMPORT_KEY],
    );
    expect(leaks).toEqual([
      `secret #2 (${DATA_IMPORT_KEY.length} chars) in stdout of a run`,
      `secret #1 (${PARTNER_API_KEY.length} chars) in stderr of a run`,
    ]);
    expect(leaks.join('\n')).not.toContain(DATA_IMPORT_KEY);
    expect(leaks.join('\n')).not.toContain(PARTNER_API_KEY);
  });

  describe.each(ENGINES)('on $name', (engine) => {
    it('a Braze 401 that echoes the data import key reaches the log and the audit tables redacted', async () => {
      const dir = await tempDir();
      const notEnabled = await emulator({
        extra: {
          workspaces: [{ client_secret: DATA_IMPORT_KEY, partners: ['someone-else'], all_users_exist: true }],
        },
      });
      const world = new World(dir, engine.isolate(dir), notEnabled, [
        { name: 'echoed', query: "SELECT 'user-1' AS external_id" },
      ]);
      const report = await world.runOne();
      expect(report.status).toBe('failed');
      expect(notEnabled.state.history.at(-1)).toMatchObject({ status: 401 });
      expect(report.error).toMatch(/Partner not enabled for client with client secret: \[redacted\]/);
      expect(capturedMatching(/client secret: \[redacted\]/)).toContain(
        `log of an in-process run of ${world.configFile}`,
      );
      expect(await world.auditText()).toMatch(/client secret: \[redacted\]/);
      expect(findLeaks()).toEqual([]);
    });
  });
});
