import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { SyncConfig } from '../../src/config/types.js';
import { Redactor, TextLogger } from '../../src/log/logger.js';
import { SyncScheduler } from '../../src/scheduler/sync-scheduler.js';
import { TEST_ENV } from '../support/emulator.js';

async function syncs(...entries: string[]): Promise<SyncConfig[]> {
  const yaml = [
    'warehouse: { type: duckdb, path: w.duckdb }',
    'braze:',
    '  rest_endpoint: http://127.0.0.1:9',
    '  partner: acme',
    '  partner_api_key: ${BRAZE_PARTNER_API_KEY}',
    '  data_import_key: ${BRAZE_DATA_IMPORT_KEY}',
    'syncs:',
    ...entries.map((entry) => `  - { cohort_name: C, query: SELECT 1 AS external_id, ${entry} }`),
  ].join('\n');
  return [...(await parseConfig(yaml, '/project/config/cohort-sync.yaml', TEST_ENV)).syncs];
}

function capture() {
  const lines: string[] = [];
  return { lines, logger: new TextLogger(new Redactor([]), {}, (line) => lines.push(line)) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('SyncScheduler', () => {
  it('catches a rejected or throwing tick, logs it with the sync, and keeps every task ticking', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    stops.push(() => Promise.resolve(void process.off('unhandledRejection', onUnhandled)));
    const ticks = new Map<string, number>();
    const { lines, logger } = capture();
    const scheduler = new SyncScheduler(
      await syncs(
        'name: rejects, schedule: "* * * * * *"',
        'name: throws, schedule: "* * * * * *"',
        'name: fine, schedule: "* * * * * *"',
      ),
      (sync) => {
        ticks.set(sync.name, (ticks.get(sync.name) ?? 0) + 1);
        if (sync.name === 'throws') throw new Error('thrown at once');
        return sync.name === 'rejects' ? Promise.reject(new Error('kaput')) : Promise.resolve();
      },
      logger,
    );
    stops.push(() => scheduler.stop());
    await scheduler.start();
    await until(() => ['rejects', 'throws', 'fine'].every((name) => (ticks.get(name) ?? 0) >= 2), 'ticks');
    await scheduler.stop();

    expect(lines).toContain('[rejects] error: scheduled run failed unexpectedly: kaput\n');
    expect(lines).toContain('[throws] error: scheduled run failed unexpectedly: thrown at once\n');
    expect(lines.filter((l) => l.startsWith('[fine]'))).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('runs each schedule in its own time zone, UTC by default', async () => {
    const scheduler = new SyncScheduler(
      await syncs(
        'name: tokyo, schedule: "0 9 * * *", timezone: Asia/Tokyo',
        'name: utc, schedule: "30 2 * * *"',
        'name: unscheduled',
      ),
      () => Promise.resolve(),
      capture().logger,
    );
    stops.push(() => scheduler.stop());
    await scheduler.start();
    const byName = new Map(scheduler.scheduled.map((s) => [s.sync, s]));
    expect([...byName.keys()]).toEqual(['tokyo', 'utc']);
    // 09:00 in Tokyo (UTC+9, no daylight saving time) is midnight UTC.
    const tokyo = byName.get('tokyo')!;
    expect(tokyo.timezone).toBe('Asia/Tokyo');
    expect([tokyo.nextRun!.getUTCHours(), tokyo.nextRun!.getUTCMinutes()]).toEqual([0, 0]);
    const utc = byName.get('utc')!;
    expect(utc.timezone).toBe('UTC');
    expect([utc.nextRun!.getUTCHours(), utc.nextRun!.getUTCMinutes()]).toEqual([2, 30]);
    for (const next of [tokyo.nextRun!, utc.nextRun!]) {
      expect(next.getTime()).toBeGreaterThan(Date.now());
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    }
  });
});
