import { describe, expect, it } from 'vitest';
import { WarehouseError } from '../../src/errors.js';
import { SharedWarehouse } from '../../src/sync/shared-warehouse.js';
import { DaemonProcess, daemonWorld } from '../support/daemon.js';
import { duckdbEngine } from '../support/engines.js';

describe('what the daemon shows anyone who reaches its port', () => {
  it('listens on loopback when --listen names no host, and /healthz gives statuses, not error texts', async () => {
    const { config } = await daemonWorld(
      duckdbEngine,
      [
        { name: 'good', query: 'SELECT external_id FROM $audience', extra: 'run_on_start: true' },
        {
          name: 'bad',
          query: 'SELECT external_id FROM internal_customers_2026_q4',
          extra: 'run_on_start: true',
        },
      ],
      { users: 20 },
    );
    const daemon = new DaemonProcess(['--config', config, '--listen', ':0']);
    const url = await daemon.listening();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await daemon.waitFor(
      () => daemon.messages('succeeded', 'good')[0] && daemon.messages('failed', 'bad')[0],
      'both runs',
    );
    const text = await (await fetch(`${url}/healthz`)).text();
    const health = JSON.parse(text) as { syncs: Record<string, { last_run: Record<string, unknown> }> };
    expect(Object.keys(health.syncs.bad!.last_run).sort()).toEqual(['finished_at', 'status']);
    expect(health.syncs.bad!.last_run.status).toBe('failed');
    // The error is in the log (and sync_runs), not on the port.
    expect(daemon.messages('failed', 'bad')[0]!.msg).toContain('internal_customers_2026_q4');
    expect(text).not.toContain('internal_customers_2026_q4');
    expect((await daemon.stop()).code).toBe(0);
  });

  it('an unreachable warehouse is "unreachable" there, without the error that says where and as whom', async () => {
    const warehouse = new SharedWarehouse(
      () =>
        Promise.reject(
          new WarehouseError(
            'cannot connect to PostgreSQL at db.internal:5432/analytics as cohort_sync: connect ECONNREFUSED',
            { code: 'WAREHOUSE_CONNECTION', retryable: true },
          ),
        ),
      { releaseWhenIdle: true },
    );
    await expect(warehouse.use(() => Promise.resolve())).rejects.toThrow(/db\.internal/);
    expect(await warehouse.health()).toEqual({ ok: false, status: 'unreachable' });
  });
});
