import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { runCli } from '../support/cli.js';
import { DaemonProcess } from '../support/daemon.js';
import { TEST_ENV, emulator } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/**
 * Secret values that redacting serialized JSON would break or miss: JSON words and a number (replacing
 * them corrupts the document, its times and its keys), and characters JSON escapes (`"`, `\`).
 */
const SECRETS = ['null', 'true', '2026', 'se"cr\\et{1}'];

/** Fields the program writes itself: a secret can only look like a part of them, never be in them. */
const GENERATED = new Set(['run_id', 'plan_id', 'started_at', 'finished_at', 'time']);

/** Every string value of a parsed JSON document, with its key, except the program's own fields. */
function userStrings(value: unknown, key = ''): string[] {
  if (typeof value === 'string') return GENERATED.has(key) ? [] : [value];
  if (Array.isArray(value)) return value.flatMap((item) => userStrings(item, key));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([name, item]) => userStrings(item, name));
  return [];
}

const sqlText = (text: string) => `'${text.replaceAll("'", "''")}'`;

describe('machine-readable and terminal output with hostile secrets and ids', () => {
  let world: World;
  let braze: RunningEmulator;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = duckdbEngine.isolate(dir);
    const ids = [
      "'ok-1'",
      ...SECRETS.map((secret) => `'id-' || ${sqlText(secret)}`),
      "chr(27) || '[2J' || 'cleared'",
      "'line' || chr(10) || '  to remove         999'",
    ];
    await warehouse.exec(
      `CREATE TABLE people AS SELECT * FROM (VALUES ${ids.map((id) => `(${id})`).join(', ')}) AS t(external_id)`,
    );
    world = new World(dir, warehouse, braze, [
      { name: 'people', query: 'SELECT external_id FROM people' },
      // DuckDB's error quotes the value it could not convert, escape sequence and all.
      { name: 'escape', query: "SELECT CAST(chr(27) || '[2J' AS INTEGER) AS external_id" },
      ...SECRETS.map((secret, index) => ({
        name: `missing_${index}`,
        query: `SELECT external_id FROM "${secret.replaceAll('"', '""')}"`,
      })),
      {
        name: 'scheduled_missing',
        query: 'SELECT external_id FROM "2026"',
        extra: 'schedule: "0 0 1 1 *"\nrun_on_start: true',
      },
    ]);
    await world.config();
  });

  it.each(SECRETS)(
    'plan --json stays valid JSON and redacts the secret %j in sample ids and errors',
    async (secret) => {
      const env = { ...TEST_ENV, BRAZE_DATA_IMPORT_KEY: secret };
      const index = SECRETS.indexOf(secret);
      const result = await runCli(
        [
          'plan',
          '--json',
          '--show',
          '10',
          '--config',
          world.configFile,
          '--sync',
          'people',
          '--sync',
          `missing_${index}`,
        ],
        { env },
      );
      expect(result.code).toBe(1); // the missing table fails its sync
      const document = JSON.parse(result.stdout) as {
        format_version: number;
        syncs: {
          sync: string;
          run_id: string;
          verdict: string;
          error: string | null;
          plan_id: string | null;
          query: { rows: number };
          samples: { add: { id: string }[] } | null;
        }[];
      };
      expect(document.format_version).toBe(1);
      const [people, missing] = document.syncs;
      expect(people).toMatchObject({ sync: 'people', verdict: 'ok', plan_id: null, query: { rows: 7 } });
      expect(people!.run_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(people!.samples!.add.map((member) => member.id)).toContain('id-[redacted]');
      expect(missing).toMatchObject({ verdict: 'failed' });
      expect(missing!.error).toContain('[redacted]');
      expect(userStrings(document).filter((text) => text.includes(secret))).toEqual([]);
    },
  );

  it.each(SECRETS)('status --json stays valid JSON with the secret %j, times intact', async (secret) => {
    const env = { ...TEST_ENV, BRAZE_DATA_IMPORT_KEY: secret };
    await runCli(['plan', '--config', world.configFile, '--sync', `missing_${SECRETS.indexOf(secret)}`], {
      env,
    });
    const result = await runCli(['status', '--json', '--plans', '--config', world.configFile], { env });
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as {
      runs: { started_at: string; finished_at: string | null; dry_run: boolean; error: string | null }[];
    };
    expect(document.runs.length).toBeGreaterThan(0);
    for (const run of document.runs) {
      expect(new Date(run.started_at).toISOString()).toBe(run.started_at);
      expect(typeof run.dry_run).toBe('boolean');
    }
    expect(userStrings(document).filter((text) => text.includes(secret))).toEqual([]);
  });

  it('plan --show prints ids with escape sequences and newlines escaped, on one line', async () => {
    const result = await runCli(['plan', '--show', '10', '--config', world.configFile, '--sync', 'people'], {
      env: TEST_ENV,
    });
    expect(result.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- no control character but the newline may reach the terminal
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const sample = result.stdout.split('\n').find((line) => line.startsWith('  sample adds'));
    expect(sample).toContain('external_id:\\x1b[2Jcleared');
    expect(sample).toContain('external_id:line\\x0a  to remove         999');
    // The forged line is not a line: the plan's own "to remove" line says 0.
    expect(result.stdout.match(/^ {2}to remove {9}.*$/gm)).toEqual(['  to remove         0']);
  });

  it('status prints names and errors from sync_runs with their escape sequences escaped', async () => {
    await runCli(['plan', '--config', world.configFile, '--sync', 'escape'], { env: TEST_ENV });
    // A row as anyone who can write to the state schema could leave it: a title-setting OSC and a bell.
    await world.warehouse.exec(
      `INSERT INTO cohort_sync.sync_runs (run_id, sync_name, cohort_id, cohort_name, "trigger", dry_run, status, started_at, error)
       VALUES ('forged', 'escape', 'c', 'n', 'manual', false, 'failed', now(), chr(27) || '[2J' || chr(27) || ']0;owned' || chr(7) || ' then text')`,
    );
    const result = await runCli(
      ['status', '--plans', '--limit', '5', '--config', world.configFile, '--sync', 'escape'],
      {
        env: TEST_ENV,
      },
    );
    expect(result.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- no control character but the newline may reach the terminal
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(result.stdout).toContain('\\x1b[2J\\x1b]0;owned\\x07 then text');
    // The run's own error, from DuckDB's message quoting the value, is escaped too (its excerpt is shortened).
    expect(result.stdout).toMatch(/sync "escape": staging the query result failed/);
  });

  it('the daemon writes JSON log lines that stay valid, with their times, when a secret is 2026', async () => {
    const daemon = new DaemonProcess(['--config', world.configFile, '--sync', 'scheduled_missing'], {
      BRAZE_DATA_IMPORT_KEY: '2026',
    });
    const failed = await daemon.waitFor(
      () => daemon.messages('failed', 'scheduled_missing')[0],
      'the failed run on start',
    );
    expect((await daemon.stop()).code).toBe(0);
    expect(failed.msg).toContain('[redacted]');
    expect(daemon.lines.length).toBeGreaterThan(3);
    for (const line of daemon.lines) {
      expect(new Date(String(line.time)).toISOString()).toBe(line.time);
      expect(userStrings(line).filter((text) => text.includes('2026'))).toEqual([]);
    }
  });

  it('an error the CLI reports shows the escape sequences it quotes escaped', async () => {
    // A config key is quoted back in the unknown-key error: here one that would clear the screen.
    const file = path.join(world.dir, 'escape-in-key.yaml');
    await writeFile(file, `${world.yaml()}\n"\\e[2Jwiped": 1\n`);
    const result = await runCli(['validate', '--config', file], { env: TEST_ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('\\x1b[2Jwiped');
    // eslint-disable-next-line no-control-regex -- no control character but the newline may reach the terminal
    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
