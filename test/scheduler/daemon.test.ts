import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { atEnd } from '../support/cleanup.js';
import { runCli } from '../support/cli.js';
import {
  DaemonProcess,
  FAST_RETRY,
  daemonWorld,
  expectNoOverlap,
  metricValue,
  runRows,
  snapshotIds,
} from '../support/daemon.js';
import { TEST_ENV, cohortMembers, emulator, membershipRequests } from '../support/emulator.js';
import { duckdbEngine } from '../support/engines.js';
import { captureForSecretScan, registerSecret } from '../support/secret-scan.js';
import { TmuxScreen } from '../support/tmux-screen.js';
import type { SyncYaml } from '../support/world.js';

const EVERY_SECOND = 'schedule: "* * * * * *"';

/**
 * A 6-field schedule that ticks on `count` consecutive seconds starting `lead` seconds from now and then
 * not again for the rest of the minute, so a test can read /metrics while nothing runs.
 */
function ticksFromNow(lead: number, count: number): { schedule: string; endsAt: number } {
  const first = Math.floor(Date.now() / 1000) + lead;
  const seconds = Array.from({ length: count }, (_, k) => (first + k) % 60).sort((a, b) => a - b);
  return { schedule: `${seconds.join(',')} * * * * *`, endsAt: (first + count) * 1000 };
}

interface Health {
  ok: boolean;
  runs_in_progress: number;
  warehouse: string;
  retention: { days: number; next_run: string; last_run: { deleted?: number; error?: string } | null };
  syncs: Record<string, { schedule: string | null; next_run: string | null }>;
}

async function health(url: string): Promise<Health & { status: number }> {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, ...((await response.json()) as Health) };
}

/** A DuckDB warehouse with `users` rows in `audience`, an emulator, and a config joining them. */
function setup(syncs: SyncYaml[], users: number, brazeExtra = FAST_RETRY) {
  return daemonWorld(duckdbEngine, syncs, { users, brazeExtra });
}

describe('cohort-sync daemon', () => {
  it('runs a sync on its second-level schedule and exits 0 on SIGTERM', async () => {
    const { world, braze, config } = await setup(
      [{ name: 'members', query: 'SELECT external_id FROM $audience', extra: EVERY_SECOND }],
      100,
    );
    const daemon = new DaemonProcess(['--config', config]);
    await daemon.waitFor(() => daemon.messages('succeeded', 'members').length >= 1, 'the first run');
    // SIGHUP does not reload (nor stop): it says that config changes need a restart, and runs go on.
    daemon.signal('SIGHUP');
    await daemon.waitFor(() => daemon.messages('SIGHUP ignored: config changes need a restart')[0], 'SIGHUP');
    const afterHangup = daemon.lines.length;
    await daemon.waitFor(() => daemon.messages('succeeded', 'members').length >= 3, 'three runs');
    expect(daemon.lines.slice(afterHangup).some((l) => l.msg.startsWith('succeeded'))).toBe(true);
    const stop = await daemon.stop();
    expect(stop.code).toBe(0);

    const rows = (await runRows(world)).filter((r) => r.status !== 'skipped');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.trigger === 'schedule' && r.status === 'succeeded')).toBe(true);
    expect(rows.map((r) => Number(r.added))).toEqual([100, ...rows.slice(1).map(() => 0)]);
    // One run per tick: each started in its own second, soon after the one before (a tick that a loaded
    // machine delays past the next one is missed, hence the slack).
    const seconds = rows.map((r) => Math.floor(r.started_at.getTime() / 1000));
    expect(new Set(seconds).size).toBe(seconds.length);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBeLessThanOrEqual(5);
    expect(braze.state.workspaces[0]!.cohorts.get('cohort-sync-members')?.members.size).toBe(100);
    // Every line of a run carries the sync and the run id.
    const runLines = daemon.lines.filter((l) => l.run !== undefined);
    expect(runLines.length).toBeGreaterThan(0);
    expect(runLines.every((l) => l.sync === 'members' && /^[0-9a-f]{8}$/.test(l.run!))).toBe(true);
  });

  it('records a tick that finds its sync still running as skipped, and never sends twice', async () => {
    const { world, braze, config } = await setup(
      [{ name: 'slow', query: 'SELECT external_id FROM $audience', extra: EVERY_SECOND }],
      2000,
    );
    braze.state.faults.configure({ latency_ms: 1800, membership_only: true });
    const daemon = new DaemonProcess(['--config', config]);
    await daemon.waitFor(() => daemon.messages('succeeded: +2000', 'slow').length === 1, 'the slow run');
    await daemon.waitFor(() => daemon.messages('succeeded: +0', 'slow').length >= 1, 'a run after it');
    expect((await daemon.stop()).code).toBe(0);

    const rows = await runRows(world);
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
          query: 'SELECT external_id FROM $audience WHERE (i + CAST(epoch(now()) AS BIGINT)) % 2 = 0',
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
    const rows = await runRows(world);
    expect(rows.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(3);
    expectNoOverlap(rows);
    expect(await snapshotIds(world, 'flip')).toEqual(cohortMembers(braze, 'cohort-sync-flip'));
  });

  it('on SIGTERM mid-run exits 0, marks the run interrupted and keeps the snapshot equal to Braze', async () => {
    const { world, braze, config } = await setup(
      [{ name: 'big', query: 'SELECT external_id FROM $audience', extra: 'run_on_start: true' }],
      20_000,
      `${FAST_RETRY}\n  concurrency: 2`,
    );
    braze.state.faults.configure({ latency_ms: 200, membership_only: true });
    const daemon = new DaemonProcess(['--config', config, '--stop-timeout', '20']);
    await daemon.waitFor(() => membershipRequests(braze, 201).length >= 3, 'batches confirmed');
    const stop = await daemon.stop();
    expect(stop.code).toBe(0);
    // Exit 0 means the stop ended before --stop-timeout (a stop that runs out of time exits 1, see below);
    // the bound itself is generous for a loaded machine: the in-flight requests take 200 ms.
    expect(stop.ms).toBeLessThan(20_000);

    const [run] = await runRows(world);
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
        { name: 'good', query: 'SELECT external_id FROM $audience', extra: 'run_on_start: true' },
        { name: 'bad', query: 'SELECT external_id FROM no_such_table', extra: 'run_on_start: true' },
      ],
      1500,
    );
    const started = Date.now() / 1000;
    const daemon = new DaemonProcess(['--config', config, '--listen', '127.0.0.1:0']);
    const url = await daemon.listening();
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
    const value = (series: string) => metricValue(metrics, series);
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
      [{ name: 'retried', query: 'SELECT external_id FROM $audience', extra: 'run_on_start: true' }],
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
    const url = await daemon.listening();
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

    const { braze, config } = await daemonWorld(
      duckdbEngine,
      [{ name: 'flaky', query: 'SELECT external_id FROM $audience', extra: EVERY_SECOND }],
      {
        users: 50,
        brazeExtra: 'retry: { max_attempts: 1 }',
        tail: "notifications: { webhook_url: '${ALERT_WEBHOOK_URL}' }",
        env: { ALERT_WEBHOOK_URL: webhook },
      },
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

  it('counts skipped ticks and failures in /metrics as sync_runs records them; a failing sync stops no other', async () => {
    const window = ticksFromNow(6, 4);
    const extra = `schedule: "${window.schedule}"`;
    const { world, braze, config } = await setup(
      [
        { name: 'slow', query: 'SELECT external_id FROM $audience', extra },
        { name: 'broken', query: 'SELECT external_id FROM no_such_table', extra },
      ],
      2000,
    );
    // The first run of `slow` outlasts two or three ticks; later ones have nothing to send.
    braze.state.faults.configure({ latency_ms: 2500, membership_only: true });
    const daemon = new DaemonProcess(['--config', config, '--listen', '127.0.0.1:0']);
    const url = await daemon.listening();
    await daemon.waitFor(
      async () => Date.now() > window.endsAt + 1500 && (await health(url)).runs_in_progress === 0,
      'the ticks of the window and their runs',
      40_000,
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect((await daemon.stop()).code).toBe(0);

    const rows = await runRows(world);
    const count = (sync: string, status: string) =>
      rows.filter((r) => r.sync_name === sync && r.status === status).length;
    for (const sync of ['slow', 'broken']) {
      for (const status of ['succeeded', 'failed', 'skipped', 'interrupted'])
        expect(
          metricValue(metrics, `cohort_sync_runs_total{sync="${sync}",status="${status}"}`),
          status,
        ).toBe(count(sync, status));
      expect(metricValue(metrics, `cohort_sync_run_duration_seconds_count{sync="${sync}"}`)).toBe(
        rows.filter((r) => r.sync_name === sync && r.status !== 'skipped').length,
      );
    }
    expect(count('slow', 'skipped')).toBeGreaterThanOrEqual(1);
    expect(count('slow', 'succeeded')).toBeGreaterThanOrEqual(1);
    expect(count('broken', 'failed')).toBeGreaterThanOrEqual(2);
    expect(count('broken', 'succeeded') + count('broken', 'skipped')).toBe(0);
    expect(metricValue(metrics, 'cohort_sync_changes_sent_total{sync="slow"}')).toBe(2000);
    expect(metricValue(metrics, 'cohort_sync_last_success_timestamp_seconds{sync="slow"}')).toBeGreaterThan(
      0,
    );
    expect(metricValue(metrics, 'cohort_sync_last_success_timestamp_seconds{sync="broken"}')).toBeUndefined();
    expectNoOverlap(rows.filter((r) => r.sync_name === 'slow'));
    expect(membershipRequests(braze, 201)).toHaveLength(2);
  });

  it('deletes sync_changes older than state.retention_days at start, and again every day at 03:17 UTC', async () => {
    const { world, config } = await daemonWorld(
      duckdbEngine,
      [{ name: 'kept', query: 'SELECT external_id FROM $audience', extra: 'schedule: "0 0 1 1 *"' }],
      { users: 30, stateExtra: 'retention_days: 7' },
    );
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 30 });
    // Users 1–12 were changed 8 days ago, users 13–20 six days ago, the rest just now.
    await world.query(
      `UPDATE $state.sync_changes SET created_at = created_at - INTERVAL '8 days' WHERE CAST(substr(id, 6) AS INTEGER) <= 12`,
    );
    await world.query(
      `UPDATE $state.sync_changes SET created_at = created_at - INTERVAL '6 days' WHERE CAST(substr(id, 6) AS INTEGER) BETWEEN 13 AND 20`,
    );
    const daemon = new DaemonProcess(['--config', config, '--listen', '127.0.0.1:0']);
    const url = await daemon.listening();
    const line = await daemon.waitFor(() => daemon.messages('retention:')[0], 'the retention at start');
    expect(line.msg).toBe('retention: deleted 12 sync_changes row(s) older than 7 days');

    const report = await health(url);
    expect(report.retention).toMatchObject({ days: 7, last_run: { deleted: 12 } });
    const next = new Date(report.retention.next_run);
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([3, 17, 0]);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metricValue(metrics, 'cohort_sync_retention_deleted_rows_total')).toBe(12);
    expect((await daemon.stop()).code).toBe(0);

    const left = await world.query<{ id: string }>('SELECT id FROM $state.sync_changes');
    expect(left.map((r) => Number(r.id.slice(5))).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 18 }, (_, k) => k + 13),
    );
  });

  it('shares one Braze budget per endpoint across syncs, and sends each sync to its braze_target', async () => {
    const eu = await emulator({ allUsersExist: true });
    const target = (url: string, limits: string) =>
      [
        `    rest_endpoint: ${url}`,
        '    partner: acme',
        '    partner_api_key: ${BRAZE_PARTNER_API_KEY}',
        '    data_import_key: ${BRAZE_DATA_IMPORT_KEY}',
        `    ${FAST_RETRY}`,
        ...(limits ? [`    ${limits}`] : []),
      ].join('\n');
    const query = 'SELECT external_id FROM $audience';
    const { braze: us, config } = await daemonWorld(
      duckdbEngine,
      [
        { name: 'us_one', query, extra: 'run_on_start: true\nbraze_target: us' },
        { name: 'us_two', query, extra: 'run_on_start: true\nbraze_target: us' },
        { name: 'eu_one', query, extra: 'run_on_start: true\nbraze_target: eu' },
      ],
      {
        users: 3000,
        brazeYaml: (braze) =>
          `braze:\n  us:\n${target(braze.url, 'max_in_flight: 1')}\n  eu:\n${target(eu.url, '')}`,
      },
    );
    // Every sync sends 3 batches with up to 4 in flight (the default concurrency).
    us.state.faults.configure({ latency_ms: 150, membership_only: true });
    eu.state.faults.configure({ latency_ms: 300, membership_only: true });
    const daemon = new DaemonProcess(['--config', config]);
    await daemon.waitFor(() => daemon.messages('succeeded: +3000').length === 3, 'the three runs');
    expect((await daemon.stop()).code).toBe(0);

    const cohorts = (braze: typeof us) => [...braze.state.workspaces[0]!.cohorts.keys()].sort();
    expect(cohorts(us)).toEqual(['cohort-sync-us_one', 'cohort-sync-us_two']);
    expect(cohorts(eu)).toEqual(['cohort-sync-eu_one']);
    expect(cohortMembers(us, 'cohort-sync-us_two')).toHaveLength(3000);
    expect(cohortMembers(eu, 'cohort-sync-eu_one')).toHaveLength(3000);
    // Two syncs of 4 requests in flight each, and yet one at a time at the us endpoint: one shared budget.
    expect(membershipRequests(us, 201)).toHaveLength(6);
    expect(us.state.peakInFlight).toBe(1);
    // The budget is per endpoint: eu has its own (the daemon's defaults), so its requests overlap.
    expect(eu.state.peakInFlight).toBeGreaterThan(1);
  });

  it('writes human-readable lines on a terminal, with secrets redacted; Ctrl-C stops it with exit 0', async () => {
    const { config } = await setup(
      [
        { name: 'members', query: 'SELECT external_id FROM $audience', extra: 'run_on_start: true' },
        {
          name: 'leaky',
          query: 'SELECT external_id FROM "missing_${BRAZE_DATA_IMPORT_KEY}"',
          extra: 'run_on_start: true',
        },
      ],
      10,
    );
    // Scrollback: the start-up lines must still be there however much the runs print after them.
    const screen = new TmuxScreen({ joinWrapped: true, scrollback: true });
    atEnd(() => screen.kill());
    screen.startCli(['daemon', '--config', config], TEST_ENV);
    await screen.waitFor(/^\[members\] succeeded: \+10 −0 \(run=[0-9a-f]{8}\)$/m);
    const shown = await screen.waitFor(/^\[leaky\] warn: failed: .*missing_\[redacted\]/m);
    expect(shown).toMatch(/^scheduled|^daemon started with 2 sync\(s\)/m);
    expect(shown).not.toMatch(/^\{/m);
    screen.sendKeys('C-c');
    const done = await screen.waitFor(/EXIT=\d+/);
    captureForSecretScan('the daemon on a terminal', done);
    expect(done).toMatch(/SIGINT received$/m);
    expect(done).toMatch(/EXIT=0/);
  });

  it('a stop that outlasts --stop-timeout exits 1; the next run marks that run abandoned', async () => {
    const { world, braze, config } = await setup(
      [{ name: 'stuck', query: 'SELECT external_id FROM $audience', extra: 'run_on_start: true' }],
      100,
      `${FAST_RETRY}\n  timeout_seconds: 120`,
    );
    braze.state.faults.configure({ latency_ms: 60_000, membership_only: true });
    const daemon = new DaemonProcess(['--config', config, '--stop-timeout', '1']);
    await daemon.waitFor(
      () => braze.state.inFlight > 0 && membershipRequests(braze).length === 0,
      'a request in flight',
    );
    const stop = await daemon.stop();
    expect(stop.code).toBe(1);
    expect(daemon.messages('gave up waiting after 1 s')).toHaveLength(1);

    braze.state.faults.configure({});
    const next = await runCli(['run', '--config', config], { env: TEST_ENV });
    expect(next.code).toBe(0);
    const rows = await runRows(world);
    expect(rows.map((r) => r.status)).toEqual(['abandoned', 'succeeded']);
    expect(await snapshotIds(world, 'stuck')).toEqual(cohortMembers(braze, 'cohort-sync-stuck'));
  });

  it('refuses to start when no sync has a schedule, with exit 2', async () => {
    const { config } = await setup([{ name: 'idle', query: 'SELECT external_id FROM $audience' }], 1);
    const daemon = new DaemonProcess(['--config', config]);
    const exit = await daemon.exited;
    expect(exit.code).toBe(2);
    expect(daemon.stderr).toMatch(/no sync to run: none of idle has a schedule/);
  });
});
