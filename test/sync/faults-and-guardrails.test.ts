import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import type { Fault, FaultSettings } from '../../src/emulator/faults.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import { runCli } from '../support/cli.js';
import { TEST_ENV, cohortMembers, membershipRequests } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { snapshotMembers, unexplainedDifferences } from '../support/invariants.js';
import { answeredSince, lastSeq, recordScenario } from '../support/reliability-figures.js';
import { audienceWarehouse } from '../support/audience.js';
import { World } from '../support/world.js';

const engines = [...ENGINES, bigqueryEngine];

const FAST_RETRY = 'retry: { max_attempts: 6, base_delay_ms: 5, max_delay_ms: 50, max_elapsed_seconds: 30 }';

/** Random faults of every kind, all at once; each seed is a different, repeatable storm. */
const storm = (seed: number): FaultSettings => ({
  server_error_rate: 0.2,
  locked_rate: 0.05,
  rate_limit_rate: 0.15,
  retry_after_seconds: 0,
  drop_rate: 0.05,
  drop_after_apply_rate: 0.05,
  seed,
});

describe.each(engines)('faults and guardrails on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;
  let desired: string[] = [];
  const COHORT = 'cohort-sync-storm';

  const users = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();
  let range = { from: 1, to: 0 };
  async function setAudience(from: number, to: number): Promise<void> {
    await world.warehouse.exec(
      `DELETE FROM ${data}.audience`,
      ...(to >= from ? [`INSERT INTO ${data}.audience ${engine.userIds(from, to)}`] : []),
    );
    desired = users(from, to);
    range = { from, to };
  }
  /** The same warehouse and sync with other `braze:` settings (its own retry policy, or the fast one). */
  const withBraze = (extra: string) =>
    new World(
      world.dir,
      world.warehouse,
      braze,
      world.syncs,
      extra.includes('retry:') ? extra : `${FAST_RETRY}\n  ${extra}`,
    );

  beforeAll(async () => {
    const { dir, warehouse, ...setup } = await audienceWarehouse(engine);
    ({ braze, data } = setup);
    world = new World(dir, warehouse, braze, [
      { name: 'storm', query: `SELECT external_id FROM ${data}.audience` },
    ]);
    await setAudience(1, 2500);
  });

  it.each([7, 8, 9, 10])(
    'storm (seed %i) of 5xx, 423, 429, dropped connections: the run succeeds or records its failed batches; the snapshot claims nothing unexplained; one clean run converges',
    async (seed) => {
      const shift = (seed - 7) * 600; // each storm removes 600 members and adds 600
      await setAudience(1 + shift, 2500 + shift);
      const firstSeq = lastSeq(braze.state.history);
      braze.state.faults.configure(storm(seed));
      const stormy = await world.runOne();
      expect(['succeeded', 'partial', 'failed']).toContain(stormy.status);
      expect(stormy.retries).toBeGreaterThan(0);
      const [audit] = await world.query(
        `SELECT status, requests, retries, added, removed, failed FROM $state.sync_runs WHERE run_id = '${stormy.run_id}'`,
      );
      const { status, requests, retries, added, removed, failed } = stormy;
      expect(audit).toEqual({ status, requests, retries, added, removed, failed });
      // Every attempt the client made reached the emulator, retries included.
      const stormAnswered = answeredSince(braze.state.history, firstSeq);
      expect(stormAnswered).toHaveLength(requests);
      expect(stormAnswered.filter((r) => r.fault !== undefined).length).toBeGreaterThan(0);

      const changes = await world.query<{ status: string; n: number; errors: number }>(
        `SELECT status, COUNT(*) AS n, COUNT(error) AS errors FROM $state.sync_changes WHERE run_id = '${stormy.run_id}' GROUP BY status ORDER BY status`,
      );
      const byStatus = Object.fromEntries(changes.map((row) => [row.status, row]));
      expect(Number(byStatus.sent?.n ?? 0)).toBe(added + removed);
      expect(Number(byStatus.failed?.n ?? 0)).toBe(failed);
      expect(Number(byStatus.failed?.errors ?? 0)).toBe(failed); // every failed change says why
      if (stormy.status !== 'succeeded') expect(stormy.error).toBeTruthy();
      expect(await unexplainedDifferences(world, braze, 'storm', COHORT, [stormy.run_id])).toEqual({
        snapshotOnly: [],
        brazeOnly: [],
      });
      // A run that succeeded through the storm already made Braze equal the query.
      if (stormy.status === 'succeeded') expect(cohortMembers(braze, COHORT)).toEqual(desired);

      braze.state.faults.configure({});
      const clean = await world.runOne();
      expect(clean.status).toBe('succeeded');
      expect(cohortMembers(braze, COHORT)).toEqual(desired);
      expect(await snapshotMembers(world, 'storm')).toEqual(desired);
      recordScenario({
        file: import.meta.filename,
        engine: engine.name,
        scenario: 'storm (one run), then a clean run',
        runs: [stormy, clean],
        answered: answeredSince(braze.state.history, firstSeq),
        runsToConverge: stormy.status === 'succeeded' ? 1 : 2,
      });
    },
  );

  it('a requests-per-hour ceiling: every request past it gets a 429 with Retry-After, is waited out, retried and counted in sync_runs.retries', async () => {
    await setAudience(1, 6000);
    const LIMIT = 2;
    const WINDOW_MS = 1000;
    const serial = withBraze('concurrency: 1'); // one request at a time: which one meets the ceiling is fixed
    const firstSeq = lastSeq(braze.state.history);
    const answered = () => answeredSince(braze.state.history, firstSeq);
    const turnedAway = () => answered().filter((r) => r.fault === 'requests_per_hour');
    // The emulator's clock moves on one window each time it turns a request away (the client waits that
    // window out), and never otherwise: the count is the same however slowly a loaded machine runs.
    const start = Date.now();
    braze.state.clock = () => start + WINDOW_MS * turnedAway().length;
    braze.state.faults.configure({ requests_per_hour: LIMIT, rate_window_seconds: WINDOW_MS / 1000 });
    let report;
    try {
      report = await serial.runOne();
    } finally {
      braze.state.clock = Date.now;
      braze.state.faults.configure({});
    }
    const accepted = answered().filter((r) => r.status === 201).length;
    const hits = turnedAway().length;
    expect(accepted).toBeGreaterThanOrEqual(3);
    // LIMIT requests fit in each window; the next one is turned away, and its retry opens the next window.
    expect(hits).toBe(Math.floor((accepted - 1) / LIMIT));
    expect(answered()).toHaveLength(accepted + hits);
    expect(report).toMatchObject({ status: 'succeeded', retries: hits, requests: accepted + hits });
    const [audit] = await world.query(
      `SELECT retries FROM $state.sync_runs WHERE run_id = '${report.run_id}'`,
    );
    expect(audit).toEqual({ retries: hits });
    expect(cohortMembers(braze, COHORT)).toEqual(desired);
    recordScenario({
      file: import.meta.filename,
      engine: engine.name,
      scenario: `requests-per-hour ceiling of ${LIMIT} a window`,
      runs: [report],
      answered: answered(),
      runsToConverge: 1,
    });
  });

  it('latency spikes past the request timeout: timed-out requests are retried, and what Braze applied late is re-sent or confirmed', async () => {
    await setAudience(2001, 7000);
    const spiky = withBraze('timeout_seconds: 0.2');
    // Short spikes at random, and one long one past the timeout (undici checks timeouts about once a
    // second, so "past" means well past); the timed-out request is still applied by Braze, late.
    braze.state.faults.configure({
      script: [{ kind: 'latency', ms: 1500 }],
      latency_spike_rate: 0.3,
      latency_spike_ms: 50,
      membership_only: true,
      seed: 3,
    });
    const before = braze.state.history.length;
    const report = await spiky.runOne();
    expect(report.retries).toBeGreaterThanOrEqual(1);
    expect(['succeeded', 'partial', 'failed']).toContain(report.status);
    while (braze.state.history.length - before < report.requests) await sleep(20); // the late one lands
    expect(await unexplainedDifferences(world, braze, 'storm', COHORT, [report.run_id])).toEqual({
      snapshotOnly: [],
      brazeOnly: [],
    });
    braze.state.faults.configure({});
    expect(await world.runOne()).toMatchObject({ status: 'succeeded' });
    expect(cohortMembers(braze, COHORT)).toEqual(desired);
  });

  it('retries are bounded by count: 3 attempts a request, and the run stops after 3 batches failed in a row', async () => {
    await setAudience(2001, 12000); // 5,000 adds: 5 requests
    const bounded = withBraze(
      'concurrency: 1\n  retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 5 }',
    );
    const before = membershipRequests(braze).length;
    braze.state.faults.configure({ server_error_rate: 1, membership_only: true });
    const report = await bounded.runOne();
    braze.state.faults.configure({});
    expect(membershipRequests(braze).length - before).toBe(9); // 3 batches × 3 attempts, then it stops
    // 9 membership attempts and the cohort create
    expect(report).toMatchObject({ status: 'failed', added: 0, failed: 3000, requests: 10, retries: 6 });
    expect(report.error).toMatch(/Braze server error \(503\).*stopped with 2000 changes not sent/);
    const rows = await world.query(
      `SELECT status, COUNT(*) AS n FROM $state.sync_changes WHERE run_id = '${report.run_id}' GROUP BY status ORDER BY status`,
    );
    expect(rows).toEqual([
      { status: 'failed', n: 3000 },
      { status: 'not_sent', n: 2000 },
    ]);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 5000 });
  });

  it('retries are bounded by time: a 429 asking for longer than max_elapsed_seconds is not waited for', async () => {
    await setAudience(2001, 15000); // 3,000 adds: 3 requests
    const bounded = withBraze('concurrency: 1\n  retry: { max_attempts: 10, max_elapsed_seconds: 1 }');
    const before = membershipRequests(braze).length;
    braze.state.faults.configure({ rate_limit_rate: 1, retry_after_seconds: 30, membership_only: true });
    const report = await bounded.runOne();
    braze.state.faults.configure({});
    expect(report).toMatchObject({ status: 'failed', retries: 0, added: 0 });
    expect(report.error).toMatch(/rate limit reached \(429\)/);
    expect(membershipRequests(braze).length - before).toBe(3); // one attempt each, three batches in a row
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 3000 });
  });

  it('failed batches are recorded in sync_changes with status failed and the error, and the next run resends them', async () => {
    await setAudience(2001, 15500);
    braze.state.faults.configure({ server_error_rate: 1, membership_only: true });
    const failing = await world.runOne();
    expect(failing).toMatchObject({ status: 'failed', added: 0, failed: 500 });
    expect(failing.error).toMatch(/503/);
    const rows = await world.query(
      `SELECT status, error FROM $state.sync_changes WHERE run_id = '${failing.run_id}' GROUP BY status, error`,
    );
    expect(rows).toEqual([
      { status: 'failed', error: expect.stringMatching(/Braze server error \(503\)/) as unknown },
    ]);

    braze.state.faults.configure({});
    const retried = await world.runOne();
    expect(retried).toMatchObject({ status: 'succeeded', to_add: 500, added: 500 });
    expect(cohortMembers(braze, COHORT)).toEqual(desired);
  });

  /** One fault of each kind, twice: each is retried and counted, and the run still succeeds. */
  const RETRIED: [name: string, fault: Fault][] = [
    ['503 Service Unavailable', { kind: 'status', status: 503 }],
    ['500 Internal Server Error', { kind: 'status', status: 500 }],
    ['423 Resource locked', { kind: 'status', status: 423 }],
    ['429 with Retry-After', { kind: 'rate_limit', retryAfterSeconds: 1 }],
    ['429 with only X-RateLimit-Reset', { kind: 'rate_limit', retryAfterSeconds: 1, resetOnly: true }],
    ['a connection dropped before Braze applied the request', { kind: 'drop' }],
    ['a connection dropped after Braze applied the request', { kind: 'drop_after_apply' }],
  ];
  it.each(RETRIED)(
    '%s, twice: both retried, counted in sync_runs.retries; the run succeeds and Braze equals the query',
    async (name, fault) => {
      await setAudience(range.from, range.to + 1500); // 1,500 adds: 2 requests
      const firstSeq = lastSeq(braze.state.history);
      braze.state.faults.configure({ script: [fault, fault], membership_only: true });
      const report = await world.runOne();
      braze.state.faults.configure({});
      const answered = answeredSince(braze.state.history, firstSeq);
      expect(answered.filter((r) => r.fault !== undefined)).toHaveLength(2);
      // The cohort create (sent with every run that has changes), 2 batches, 2 retries.
      expect(report).toMatchObject({ status: 'succeeded', added: 1500, failed: 0, retries: 2, requests: 5 });
      const [audit] = await world.query(
        `SELECT status, retries, requests FROM $state.sync_runs WHERE run_id = '${report.run_id}'`,
      );
      expect(audit).toEqual({ status: 'succeeded', retries: 2, requests: 5 });
      expect(cohortMembers(braze, COHORT)).toEqual(desired);
      expect(await snapshotMembers(world, 'storm')).toEqual(desired);
      recordScenario({
        file: import.meta.filename,
        engine: engine.name,
        scenario: `${name}, twice`,
        runs: [report],
        answered,
        runsToConverge: 1,
      });
    },
  );

  it('a 400 is not retried: its batch fails at once with the error recorded, the run stops sending (requests in flight finish), the next run sends the rest', async () => {
    await setAudience(range.from, range.to + 1500);
    braze.state.faults.configure({ script: [{ kind: 'status', status: 400 }], membership_only: true });
    const report = await world.runOne();
    braze.state.faults.configure({});
    // The other batch is sent if it was already in flight when the 400 came back, and not sent otherwise.
    expect(['partial', 'failed']).toContain(report.status);
    expect(report).toMatchObject({ retries: 0 });
    expect([500, 1000]).toContain(report.failed);
    expect(report.requests).toBe(report.added === 0 ? 2 : 3); // the cohort create, then one or two batches
    expect(report.error).toMatch(/Braze rejected the request \(400\): Bad Request/);
    const rows = await world.query<{ status: string; error: string | null; n: number }>(
      `SELECT status, error, COUNT(*) AS n FROM $state.sync_changes WHERE run_id = '${report.run_id}' GROUP BY status, error ORDER BY status`,
    );
    const byStatus = Object.fromEntries(rows.map((row) => [row.status, row]));
    expect(byStatus.failed).toEqual({
      status: 'failed',
      error: expect.stringMatching(/\(400\)/) as unknown,
      n: report.failed,
    });
    expect(Number(byStatus.sent?.n ?? 0) + Number(byStatus.not_sent?.n ?? 0)).toBe(1500 - report.failed);
    expect(Number(byStatus.sent?.n ?? 0)).toBe(report.added);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 1500 - report.added });
    expect(cohortMembers(braze, COHORT)).toEqual(desired);
  });

  it('retries are bounded by total time too: slow 503s stop being retried once max_elapsed_seconds is spent, long before max_attempts', async () => {
    await setAudience(range.from, range.to + 3000); // 3,000 adds: 3 requests
    const bounded = withBraze(
      'concurrency: 1\n  retry: { max_attempts: 20, base_delay_ms: 1, max_delay_ms: 5, max_elapsed_seconds: 1 }',
    );
    const before = membershipRequests(braze).length;
    braze.state.faults.configure({ server_error_rate: 1, latency_ms: 300, membership_only: true });
    const report = await bounded.runOne();
    braze.state.faults.configure({});
    const attempts = membershipRequests(braze).length - before;
    // Every attempt takes at least 300 ms, so no request can start a 5th attempt within its 1 s; a loaded
    // machine only makes attempts slower, so this bound cannot flake. Three batches failed: the run stops.
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(3 * 4);
    expect(report).toMatchObject({ status: 'failed', added: 0, failed: 3000, retries: attempts - 3 });
    const [audit] = await world.query(
      `SELECT retries FROM $state.sync_runs WHERE run_id = '${report.run_id}'`,
    );
    expect(audit).toEqual({ retries: attempts - 3 });
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 3000 });
    expect(cohortMembers(braze, COHORT)).toEqual(desired);
  });
});

/** A harsh storm that never lets up: 3 attempts a request, so whole batches fail and runs end partial or failed. */
const hurricane = (seed: number): FaultSettings => ({
  server_error_rate: 0.3,
  locked_rate: 0.1,
  rate_limit_rate: 0.2,
  retry_after_seconds: 0,
  drop_rate: 0.1,
  drop_after_apply_rate: 0.1,
  latency_spike_rate: 0.1,
  latency_spike_ms: 30,
  seed,
});

describe.each(ENGINES)('runs under a storm that never stops, on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;
  const COHORT = 'cohort-sync-hurricane';

  beforeAll(async () => {
    const { dir, warehouse, ...setup } = await audienceWarehouse(engine);
    ({ braze, data } = setup);
    world = new World(
      dir,
      warehouse,
      braze,
      [{ name: 'hurricane', query: `SELECT external_id FROM ${data}.audience` }],
      'retry: { max_attempts: 3, base_delay_ms: 1, max_delay_ms: 10, max_elapsed_seconds: 30 }',
    );
  });

  it.each([21, 22, 23, 24, 25])(
    'seed %i: every run keeps the snapshot honest, and the runs converge without a clean one',
    async (seed) => {
      // 20,000 members first; then each storm replaces 4,000 of them: 8,000 changes, 8 requests.
      const from = 1 + (seed - 21) * 4000;
      await world.warehouse.exec(
        `DELETE FROM ${data}.audience`,
        `INSERT INTO ${data}.audience ${engine.userIds(from, from + 19999)}`,
      );
      const desired = Array.from({ length: 20000 }, (_, i) => `external_id:user-${from + i}`).sort();
      const firstSeq = lastSeq(braze.state.history);
      braze.state.faults.configure(hurricane(seed));
      const runs: SyncReport[] = [];
      try {
        while (runs.at(-1)?.status !== 'succeeded') {
          if (runs.length === 25) throw new Error(`no convergence in 25 runs: ${JSON.stringify(runs)}`);
          const report = await world.runOne();
          runs.push(report);
          expect(['succeeded', 'partial', 'failed']).toContain(report.status);
          const unexplained = await unexplainedDifferences(
            world,
            braze,
            'hurricane',
            COHORT,
            runs.map((r) => r.run_id),
          );
          expect(unexplained).toEqual({ snapshotOnly: [], brazeOnly: [] });
        }
      } finally {
        braze.state.faults.configure({});
      }
      // A succeeded run re-derived every change the failed ones left: Braze and the snapshot are exact
      // (one snapshot row per member, also for adds re-sent because an earlier run left them unconfirmed).
      expect(cohortMembers(braze, COHORT)).toEqual(desired);
      expect(await snapshotMembers(world, 'hurricane')).toEqual(desired);
      const answered = answeredSince(braze.state.history, firstSeq);
      expect(answered).toHaveLength(runs.reduce((total, r) => total + r.requests, 0));
      const audited = await world.query(
        `SELECT SUM(retries) AS retries, SUM(failed) AS failed FROM $state.sync_runs WHERE run_id IN (${runs.map((r) => `'${r.run_id}'`).join(', ')})`,
      );
      expect(audited.map((row) => [Number(row.retries), Number(row.failed)])).toEqual([
        [runs.reduce((t, r) => t + r.retries, 0), runs.reduce((t, r) => t + r.failed, 0)],
      ]);
      recordScenario({
        file: import.meta.filename,
        engine: engine.name,
        scenario: 'harsh storm that never stops, until a run succeeds',
        runs,
        answered,
        runsToConverge: runs.length,
      });
    },
  );
});

describe.each(engines)('guardrails on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;
  const COHORT = 'cohort-sync-guarded';
  const users = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `external_id:user-${from + i}`).sort();
  const setAudience = (from: number, to: number) =>
    world.warehouse.exec(
      `DELETE FROM ${data}.audience`,
      ...(to >= from ? [`INSERT INTO ${data}.audience ${engine.userIds(from, to)}`] : []),
    );
  /** Runs with these guardrails; asserts that an abort sent nothing and left the snapshot alone. */
  async function guarded(guardrails: string, options: { allowMassRemoval?: boolean } = {}) {
    world.syncs[0]!.extra = guardrails ? `guardrails: ${guardrails}` : undefined;
    const before = {
      requests: braze.state.history.length,
      snapshot: await snapshotMembers(world, 'guarded'),
    };
    const report = await world.runOne(options);
    if (report.status === 'aborted') {
      expect(braze.state.history.length).toBe(before.requests);
      expect(await snapshotMembers(world, 'guarded')).toEqual(before.snapshot);
      const [run] = await world.query(
        `SELECT status, error, added, removed FROM $state.sync_runs WHERE run_id = '${report.run_id}'`,
      );
      expect(run).toEqual({ status: 'aborted', error: report.error, added: 0, removed: 0 });
      const [changes] = await world.query(
        `SELECT COUNT(*) AS n FROM $state.sync_changes WHERE run_id = '${report.run_id}'`,
      );
      expect(changes).toEqual({ n: 0 });
    }
    return report;
  }

  beforeAll(async () => {
    const { dir, warehouse, ...setup } = await audienceWarehouse(engine);
    ({ braze, data } = setup);
    world = new World(dir, warehouse, braze, [
      { name: 'guarded', query: `SELECT external_id FROM ${data}.audience` },
    ]);
    await setAudience(1, 3000);
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 3000 });
  });

  it('max_removal_ratio (default 50 %) aborts a mass removal before anything is sent; --allow-mass-removal overrides it', async () => {
    await setAudience(1, 1000);
    const aborted = await guarded('');
    expect(aborted.status).toBe('aborted');
    expect(aborted.error).toMatch(
      /guardrail: the run would remove 2000 of 3000 members \(66\.7%\), more than guardrails\.max_removal_ratio \(50%\)/,
    );
    const plan = await world.runOne({ dryRun: true });
    expect(plan).toMatchObject({ status: 'aborted', to_remove: 2000, error: aborted.error });

    const forced = await guarded('', { allowMassRemoval: true });
    expect(forced).toMatchObject({ status: 'succeeded', removed: 2000 });
    expect(cohortMembers(braze, COHORT)).toEqual(users(1, 1000));
  });

  it('max_removals aborts on the absolute count even under the ratio', async () => {
    await setAudience(1, 900);
    const aborted = await guarded('{ max_removals: 50 }');
    expect(aborted).toMatchObject({ status: 'aborted', to_remove: 100 });
    expect(aborted.error).toMatch(/would remove 100 members, more than guardrails\.max_removals \(50\)/);
    expect(await guarded('{ max_removals: 100 }')).toMatchObject({ status: 'succeeded', removed: 100 });
  });

  it('min_rows aborts a query that returned too few rows', async () => {
    await setAudience(1, 905);
    const aborted = await guarded('{ min_rows: 1000 }');
    expect(aborted).toMatchObject({ status: 'aborted', query_rows: 905, to_add: 5 });
    expect(aborted.error).toMatch(/returned 905 rows, fewer than guardrails\.min_rows \(1000\)/);
    expect(await guarded('{ min_rows: 1000 }', { allowMassRemoval: true })).toMatchObject({
      status: 'succeeded',
      added: 5,
    });
  });

  it('an empty result never empties a non-empty cohort, unless allow_empty_result says so', async () => {
    await setAudience(1, 0);
    const aborted = await guarded('');
    expect(aborted.status).toBe('aborted');
    expect(aborted.error).toMatch(/returned no members while the cohort holds 905/);
    expect(cohortMembers(braze, COHORT)).toHaveLength(905);

    const allowed = await guarded('{ allow_empty_result: true }');
    expect(allowed).toMatchObject({ status: 'succeeded', removed: 905 });
    expect(cohortMembers(braze, COHORT)).toEqual([]);
  });

  it('the CLI: exit 3 and the reason for an abort, plan shows the verdict, --allow-mass-removal overrides it', async () => {
    await setAudience(1, 1000); // from an empty cohort: 1,000 members, then a removal of 900
    world.syncs[0]!.extra = undefined;
    expect(await world.runOne()).toMatchObject({ status: 'succeeded' });
    await setAudience(1, 100);
    await world.config();
    const run = (...args: string[]) => runCli([...args, '--config', world.configFile], { env: TEST_ENV });
    const before = braze.state.history.length;
    const aborted = await run('run');
    expect(aborted.code).toBe(3);
    expect(aborted.stdout).toMatch(/^guarded: aborted/m);
    expect(aborted.stdout + aborted.stderr).toMatch(/would remove 900 of 1000 members \(90\.0%\)/);
    expect(aborted.stderr).not.toMatch(/\n\s+at /);
    expect(braze.state.history.length).toBe(before);
    const [audit] = await world.query(
      `SELECT status, error FROM $state.sync_runs WHERE sync_name = 'guarded' ORDER BY started_at DESC LIMIT 1`,
    );
    expect(audit).toEqual({
      status: 'aborted',
      error: expect.stringMatching(/^guardrail: .*max_removal_ratio/) as unknown,
    });

    const plan = await run('plan');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/GUARDRAIL\s+a run would stop: the run would remove 900 of 1000 members/);
    const forced = await run('run', '--allow-mass-removal');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^guarded: succeeded, \+0 −900/m);
    expect(cohortMembers(braze, COHORT)).toEqual(users(1, 100));
  });
});
