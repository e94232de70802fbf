import { describe, expect, inject, it } from 'vitest';
import {
  DaemonProcess,
  daemonWorld,
  expectNoOverlap,
  metricValue,
  runRows,
  snapshotIds,
  type LogLine,
} from '../support/daemon.js';
import { cohortMembers } from '../support/emulator.js';
import { postgresEngine } from '../support/engines.js';
import { TEST_POSTGRES_URL } from '../support/postgres-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const EVERY_SECOND = 'schedule: "* * * * * *"';

/** The run id a "sync … is already running (run id …)" line names: the run that held the lock. */
function holderOf(line: LogLine): string | undefined {
  return /is already running \(run id ([0-9a-f-]{36})/.exec(line.msg)?.[1];
}

/** The 8-character run ids a daemon logged runs under. */
function runsOf(daemon: DaemonProcess): Set<string> {
  return new Set(daemon.lines.filter((l) => l.run !== undefined).map((l) => l.run!));
}

/** A DuckDB file admits one process; PostgreSQL admits many, so this is where two daemons really meet. */
describe.skipIf(!inject('postgresAvailable'))('cohort-sync daemon on PostgreSQL', () => {
  it('two daemons on one warehouse never run the same sync at once: the lock skips the tick', async () => {
    // The audience flips between odd and even users every second, so every run has work to send.
    const { world, braze, config } = await daemonWorld(
      postgresEngine,
      [
        {
          name: 'shared',
          query:
            'SELECT external_id FROM $audience WHERE (i + CAST(floor(extract(epoch FROM clock_timestamp())) AS BIGINT)) % 2 = 0',
          extra: `${EVERY_SECOND}\nguardrails: { max_removal_ratio: 1 }`,
        },
      ],
      { users: 200 },
    );
    // A run takes over a second, so both daemons' ticks of the next second find it going.
    braze.state.faults.configure({ latency_ms: 1200, membership_only: true });
    const a = new DaemonProcess(['--config', config]);
    const b = new DaemonProcess(['--config', config]);
    const succeeded = () => [...a.lines, ...b.lines].filter((l) => l.msg.startsWith('succeeded')).length;
    /** Skips by `daemon` because a run of `other` held the lock. */
    const skippedFor = (daemon: DaemonProcess, other: DaemonProcess) => {
      const theirs = runsOf(other);
      return daemon
        .messages('sync "shared" is already running')
        .filter((l) => theirs.has(holderOf(l)?.slice(0, 8) ?? ''));
    };
    await a.waitFor(
      () => succeeded() >= 4 && skippedFor(a, b).length + skippedFor(b, a).length >= 2,
      'runs by both daemons, and ticks skipped for the other one',
      45_000,
    );
    const [stopA, stopB] = await Promise.all([a.stop(), b.stop()]);
    expect([stopA.code, stopB.code]).toEqual([0, 0]);

    const rows = await runRows(world);
    const skipped = rows.filter((r) => r.status === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(2);
    for (const row of skipped) {
      // A holder that is just releasing the lock has already deleted its sync_locks row: "run id unknown".
      expect(row.error).toMatch(/^sync "shared" is already running \(run id ([0-9a-f-]{36}|unknown), since /);
      // A named holder is a run that did work. (Timestamps cannot order the two: the holder stamps
      // started_at after it took the lock, the skipped tick after it found the lock taken.)
      const holder = rows.find((r) => row.error!.includes(r.run_id));
      if (!row.error!.includes('run id unknown')) expect(holder?.status).not.toBe('skipped');
    }
    expect(skipped.filter((r) => !r.error!.includes('run id unknown')).length).toBeGreaterThanOrEqual(2);
    expect(rows.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(4);
    expect(rows.filter((r) => !['succeeded', 'skipped'].includes(r.status))).toEqual([]);
    expectNoOverlap(rows);
    expect(await snapshotIds(world, 'shared')).toEqual(cohortMembers(braze, 'cohort-sync-shared'));
  });

  it('/healthz answers 503 while the warehouse is unreachable and 200 again once it is back', async () => {
    const server = new URL(TEST_POSTGRES_URL);
    const proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
    const { config } = await daemonWorld(
      postgresEngine,
      [{ name: 'steady', query: 'SELECT external_id FROM $audience', extra: EVERY_SECOND }],
      {
        users: 50,
        reach: (warehouse) => ({
          ...warehouse,
          yaml: warehouse.yaml.replace(`${server.host}/`, `127.0.0.1:${proxy.port}/`),
        }),
      },
    );
    const daemon = new DaemonProcess(['--config', config, '--listen', '127.0.0.1:0']);
    const url = await daemon.listening();
    const healthz = async () => {
      const response = await fetch(`${url}/healthz`);
      return { status: response.status, body: (await response.json()) as { ok: boolean; warehouse: string } };
    };
    await daemon.waitFor(() => daemon.messages('succeeded: +50', 'steady')[0], 'the first run');
    expect(await healthz()).toMatchObject({ status: 200, body: { ok: true, warehouse: 'connected' } });

    proxy.down();
    const sick = await daemon.waitFor(
      async () => ((await healthz()).status === 503 ? healthz() : undefined),
      'an unhealthy /healthz',
    );
    expect(sick.body.ok).toBe(false);
    expect(sick.body.warehouse).not.toBe('connected');
    const failedBefore = daemon.messages('run failed', 'steady').length;
    await daemon.waitFor(
      () => daemon.messages('run failed', 'steady').length > failedBefore,
      'a tick while the warehouse is down',
    );

    proxy.up();
    await daemon.waitFor(async () => (await healthz()).status === 200, 'a healthy /healthz again');
    const succeededBefore = daemon.messages('succeeded', 'steady').length;
    await daemon.waitFor(
      () => daemon.messages('succeeded', 'steady').length > succeededBefore,
      'a run after the outage',
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metricValue(metrics, 'cohort_sync_runs_total{sync="steady",status="failed"}')).toBeGreaterThan(0);
    expect((await daemon.stop()).code).toBe(0);
  });
});
