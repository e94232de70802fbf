import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { atEnd } from '../support/cleanup.js';
import { runCli } from '../support/cli.js';
import { DaemonProcess } from '../support/daemon.js';
import { TEST_ENV, cohortMembers, emulator, membershipRequests } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { registerSecret } from '../support/secret-scan.js';
import { tempDir } from '../support/temp-dir.js';
import { World, type SyncYaml } from '../support/world.js';

const EVERY_SECOND = 'schedule: "* * * * * *"';
const FAST_RETRY = 'retry: { max_attempts: 6, base_delay_ms: 5, max_delay_ms: 50, max_elapsed_seconds: 30 }';

interface RunRow {
  run_id: string;
  sync_name: string;
  trigger: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  added: number;
  error: string | null;
}

/** A DuckDB warehouse with `users` rows in `audience`, an emulator, and a config joining them. */
async function setup(syncs: SyncYaml[], users: number, brazeExtra = FAST_RETRY, tail = '') {
  const dir = await tempDir();
  const braze = await emulator({ allUsersExist: true });
  const warehouse = duckdbEngine.isolate(dir);
  await warehouse.exec(
    `CREATE TABLE audience AS SELECT 'user-' || CAST(i AS VARCHAR) AS external_id, i FROM range(1, ${users + 1}) AS r(i)`,
  );
  const world = new World(dir, warehouse, braze, syncs, brazeExtra);
  await world.config();
  if (tail) await writeFile(world.configFile, `${world.yaml()}\n${tail}\n`);
  return { world, braze, config: world.configFile };
}

async function runs(world: World): Promise<RunRow[]> {
  return world.query<RunRow & Record<string, unknown>>(
    'SELECT run_id, sync_name, trigger, status, started_at, finished_at, added, error FROM $state.sync_runs ORDER BY started_at',
  );
}

/** Runs that did work (not skipped ticks) must never overlap in time. */
function expectNoOverlap(rows: RunRow[]): void {
  const worked = rows.filter((r) => r.status !== 'skipped');
  for (let i = 1; i < worked.length; i++) {
    expect(worked[i]!.started_at.getTime()).toBeGreaterThanOrEqual(worked[i - 1]!.finished_at!.getTime());
  }
}

async function snapshotIds(world: World, sync: string): Promise<string[]> {
  const rows = await world.query<{ id: string }>(
    `SELECT id FROM $state.cohort_snapshot WHERE sync_name = '${sync}' ORDER BY id`,
  );
  return rows.map((r) => `external_id:${r.id}`).sort();
}

describe('cohort-sync daemon', () => {
  it('runs a sync on its second-level schedule and exits 0 on SIGTERM', async () => {
    const { world, braze, config } = await setup(
      [{ name: 'members', query: 'SELECT external_id FROM audience', extra: EVERY_SECOND }],
      100,
    );
    const daemon = new DaemonProcess(['--config', config]);
    await daemon.waitFor(() => daemon.messages('succeeded', 'members').length >= 3, 'three runs');
    const stop = await daemon.stop();
    expect(stop.code).toBe(0);

    const rows = (await runs(world)).filter((r) => r.status !== 'skipped');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.trigger === 'schedule' && r.status === 'succeeded')).toBe(true);
    expect(rows.map((r) => Number(r.added))).toEqual([100, ...rows.slice(1).map(() => 0)]);
    // One run per tick: each started in its own second, a second or so after the one before.
    const seconds = rows.map((r) => Math.floor(r.started_at.getTime() / 1000));
    expect(new Set(seconds).size).toBe(seconds.length);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBeLessThanOrEqual(3);
    expect(braze.state.workspaces[0]!.cohorts.get('cohort-sync-members')?.members.size).toBe(100);
    // Every line of a run carries the sync and the run id.
    const runLines = daemon.lines.filter((l) => l.run !== undefined);
    expect(runLines.length).toBeGreaterThan(0);
    expect(runLines.every((l) => l.sync === 'members' && /^[0-9a-f]{8}$/.test(l.run!))).toBe(true);
  });

  it('records a tick that finds its sync still running as skipped, and never sends twice', async () => {
    const { world, braze, config } = await setup(
      [{ name: 'slow', query: 'SELECT external_id FROM audience', extra: EVERY_SECOND }],
      2000,
    );
    braze.state.faults.configure({ latency_ms: 1800, membership_only: true });
    const daemon = new DaemonProcess(['--config', config]);
    await daemon.waitFor(() => daemon.messages('succeeded: +2000', 'slow').length === 1, 'the slow run');
    await daemon.waitFor(() => daemon.messages('succeeded: +0', 'slow').length >= 1, 'a run after it');
    expect((await daemon.stop()).code).toBe(0);

    const rows = await runs(world);
    const first = rows.find((r) => Number(r.added) === 2000)!;
    const skipped = rows.filter((r) => r.status === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    for (const row of skipped) {
      expect(row.trigger).toBe('schedule');
      expect(row.error).toMatch(new RegExp(`sync "slow" is already running \\(run id ${first.run_id}`));
    }
    expectNoOverlap(rows);
    // Two batches of 1,000, each sent once.
    expect(membershipRequests(braze, 201)).toHaveLength(2);
    expect(braze.state.workspaces[0]!.cohorts.get('cohort-sync-slow')?.members.size).toBe(2000);
  });

  it('two daemons on one DuckDB file never run the same sync at once', async () => {
    // The audience flips between odd and even users every second, so every run has work to send.
    const { world, braze, config } = await setup(
      [
        {
          name: 'flip',
          query: 'SELECT external_id FROM audience WHERE (i + CAST(epoch(now()) AS BIGINT)) % 2 = 0',
          extra: `${EVERY_SECOND}\nguardrails: { max_removal_ratio: 1 }`,
        },
      ],
      200,
    );
    braze.state.faults.configure({ latency_ms: 300, membership_only: true });
    const a = new DaemonProcess(['--config', config]);
    const b = new DaemonProcess(['--config', config]);
    const finished = () => [...a.lines, ...b.lines].filter((l) => /^succeeded/.test(l.msg)).length;
    const heldElsewhere = () =>
      [...a.lines, ...b.lines].filter((l) => l.msg.startsWith('tick skipped: DuckDB file'));
    await a.waitFor(() => finished() >= 3 && heldElsewhere().length >= 1, 'runs by either daemon', 20_000);
    const [stopA, stopB] = await Promise.all([a.stop(), b.stop()]);
    expect([stopA.code, stopB.code]).toEqual([0, 0]);

    expect(heldElsewhere()[0]!.msg).toMatch(/is open in another process \(.*PID \d+\)/);
    const rows = await runs(world);
    expect(rows.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(3);
    expectNoOverlap(rows);
    expect(await snapshotIds(world, 'flip')).toEqual(cohortMembers(braze, 'cohort-sync-flip'));
  });

  it('on SIGTERM mid-run exits 0, marks the run interrupted and keeps the snapshot equal to Braze', async () => {
    const { world, braze, config } = await setup(
      [{ name: 'big', query: 'SELECT external_id FROM audience', extra: 'run_on_start: true' }],
      20_000,
      `${FAST_RETRY}\n  concurrency: 2`,
    );
    braze.state.faults.configure({ latency_ms: 200, membership_only: true });
    const daemon = new DaemonProcess(['--config', config]);
    await daemon.waitFor(() => membershipRequests(braze, 201).length >= 3, 'batches confirmed');
    const stop = await daemon.stop();
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(5000);

    const [run] = await runs(world);
    expect(run).toMatchObject({ status: 'interrupted', trigger: 'schedule' });
    expect(run!.error).toMatch(/interrupted; \d+ changes not sent, the next run sends them/);
    const inBraze = cohortMembers(braze, 'cohort-sync-big');
    expect(inBraze.length).toBeGreaterThan(0);
    expect(inBraze.length).toBeLessThan(20_000);
    expect(Number(run!.added)).toBe(inBraze.length);
    expect(await snapshotIds(world, 'big')).toEqual(inBraze);
  });

  it('answers /healthz and /metrics with the numbers of its runs; status works between runs', async () => {
    const { config } = await setup(
      [
        { name: 'good', query: 'SELECT external_id FROM audience', extra: 'run_on_start: true' },
        { name: 'bad', query: 'SELECT external_id FROM no_such_table', extra: 'run_on_start: true' },
      ],
      1500,
    );
    const started = Date.now() / 1000;
    const daemon = new DaemonProcess(['--config', config, '--listen', '127.0.0.1:0']);
    const url = await daemon.waitFor(
      () => daemon.messages('serving')[0]?.url as string | undefined,
      'the listener',
    );
    await daemon.waitFor(
      () =>
        daemon.messages('succeeded', 'good').length === 1 && daemon.messages('failed', 'bad').length === 1,
      'both runs',
    );

    // A run's last log line comes just before it closes the DuckDB file; wait until it has.
    const health = await daemon.waitFor(async () => {
      const body = (await (await fetch(`${url}/healthz`)).json()) as { runs_in_progress: number };
      return body.runs_in_progress === 0 ? body : undefined;
    }, 'no run in progress');
    expect(health, JSON.stringify(health)).toMatchObject({
      ok: true,
      scheduler: 'running',
      runs_in_progress: 0,
      syncs: { good: { last_run: { status: 'succeeded' } }, bad: { last_run: { status: 'failed' } } },
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const value = (series: string) => {
      const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('cohort_sync_runs_total{sync="good",status="succeeded"}')).toBe(1);
    expect(value('cohort_sync_runs_total{sync="good",status="failed"}')).toBe(0);
    expect(value('cohort_sync_runs_total{sync="bad",status="failed"}')).toBe(1);
    expect(value('cohort_sync_changes_sent_total{sync="good"}')).toBe(1500);
    expect(value('cohort_sync_changes_sent_total{sync="bad"}')).toBe(0);
    expect(value('cohort_sync_run_duration_seconds_count{sync="good"}')).toBe(1);
    expect(value('cohort_sync_run_duration_seconds_count{sync="bad"}')).toBe(1);
    const lastSuccess = value('cohort_sync_last_success_timestamp_seconds{sync="good"}')!;
    expect(lastSuccess).toBeGreaterThan(started);
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);
    expect(value('cohort_sync_last_success_timestamp_seconds{sync="bad"}')).toBeUndefined();
    expect(value('cohort_sync_runs_in_progress{sync="good"}')).toBe(0);

    // The DuckDB file is closed between runs, so the status command can read it.
    const status = await runCli(['status', '--config', config], { env: TEST_ENV });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/good\s+succeeded/);
    expect(status.stdout).toMatch(/bad\s+failed/);

    expect((await daemon.stop()).code).toBe(0);
  });

  it('counts retries in /metrics', async () => {
    const { braze, config } = await setup(
      [{ name: 'retried', query: 'SELECT external_id FROM audience', extra: 'run_on_start: true' }],
      10,
    );
    braze.state.faults.configure({
      membership_only: true,
      script: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
      ],
    });
    const daemon = new DaemonProcess(['--config', config, '--listen', '127.0.0.1:0']);
    const url = await daemon.waitFor(
      () => daemon.messages('serving')[0]?.url as string | undefined,
      'the listener',
    );
    await daemon.waitFor(() => daemon.messages('succeeded', 'retried').length === 1, 'the run');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^cohort_sync_braze_retries_total\{sync="retried"\} 2$/m);
    expect(metrics).toMatch(/^cohort_sync_changes_sent_total\{sync="retried"\} 10$/m);
    // Retry warnings come from the shared client but still carry the run's sync and id.
    const retries = daemon.lines.filter((l) => /retrying in/.test(l.msg));
    expect(retries).toHaveLength(2);
    expect(retries.every((l) => l.sync === 'retried' && typeof l.run === 'string')).toBe(true);
    expect((await daemon.stop()).code).toBe(0);
  });

  it('posts one webhook alert when a sync starts failing and one when it recovers', async () => {
    const posts: { text: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        posts.push(JSON.parse(body) as { text: string });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    atEnd(() => new Promise<void>((resolve) => hook.close(() => resolve())));
    const webhook = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/services/T000/secret-token-4417`;
    registerSecret(webhook);
    registerSecret('secret-token-4417');

    const { braze, config } = await setup(
      [{ name: 'flaky', query: 'SELECT external_id FROM audience', extra: EVERY_SECOND }],
      50,
      'retry: { max_attempts: 1 }',
      "notifications: { webhook_url: '${ALERT_WEBHOOK_URL}' }",
    );
    braze.state.faults.configure({ server_error_rate: 1 });
    const daemon = new DaemonProcess(['--config', config], { ALERT_WEBHOOK_URL: webhook });
    await daemon.waitFor(() => daemon.messages('failed', 'flaky').length >= 3, 'three failed runs');
    braze.state.faults.configure({});
    await daemon.waitFor(() => daemon.messages('succeeded: +50', 'flaky').length === 1, 'the recovery');
    await daemon.waitFor(() => daemon.messages('succeeded: +0', 'flaky').length >= 1, 'a run after it');
    expect((await daemon.stop()).code).toBe(0);

    expect(posts).toHaveLength(2);
    expect(posts[0]!.text).toMatch(/^cohort-sync: sync "flaky" failed \(run [0-9a-f]{8}\): .*503/);
    expect(posts[1]!.text).toMatch(
      /^cohort-sync: sync "flaky" recovered \(run [0-9a-f]{8} succeeded, \+50 −0\)$/,
    );
    expect(daemon.stdout).not.toContain('secret-token-4417');
  });

  it('refuses to start when no sync has a schedule, with exit 2', async () => {
    const { config } = await setup([{ name: 'idle', query: 'SELECT external_id FROM audience' }], 1);
    const daemon = new DaemonProcess(['--config', config]);
    const exit = await daemon.exited;
    expect(exit.code).toBe(2);
    expect(daemon.stderr).toMatch(/no sync to run: none of idle has a schedule/);
  });
});
