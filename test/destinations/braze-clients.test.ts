import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BrazeConfig } from '../../src/config/types.js';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { silentLogger } from '../../src/log/logger.js';
import { BrazeClients } from '../../src/destinations/braze-clients.js';
import { DATA_IMPORT_KEY, PARTNER, PARTNER_API_KEY, emulator } from '../support/emulator.js';

let braze: RunningEmulator;

function target(overrides: Partial<BrazeConfig> = {}): BrazeConfig {
  return {
    rest_endpoint: braze.url,
    partner: PARTNER,
    partner_api_key: PARTNER_API_KEY,
    data_import_key: DATA_IMPORT_KEY,
    concurrency: 4,
    timeout_seconds: 10,
    retry: { max_attempts: 3, max_elapsed_seconds: 10, base_delay_ms: 1, max_delay_ms: 5 },
    ...overrides,
  };
}

/** Sends `count` one-user requests through each client at once; returns the wall time in ms. */
async function burst(clients: BrazeClients, targets: string[], count: number): Promise<number> {
  const started = Date.now();
  await Promise.all(
    targets.flatMap((name, t) => {
      const client = clients.clientFor(name, silentLogger);
      return Array.from({ length: count }, (_, i) => client.sendChanges('c', [{ user_ids: [`u${t}-${i}`] }]));
    }),
  );
  return Date.now() - started;
}

/** The most requests the emulator finished within any `windowMs`. */
function busiestWindow(windowMs: number): number {
  const times = braze.state.history.map((r) => Date.parse(r.at)).sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

beforeAll(async () => {
  braze = await emulator({ allUsersExist: true });
  await new BrazeClients({ t: target() }).clientFor('t', silentLogger).upsertCohort({
    id: 'c',
    name: 'C',
    createdAt: new Date(),
  });
});
beforeEach(() => {
  braze.state.faults.configure({});
  braze.state.history.length = 0;
  braze.state.peakInFlight = 0;
});

describe('one request budget per Braze endpoint', () => {
  it('two targets on one endpoint share one rate: 2 × 10 requests at 20/s take about a second', async () => {
    const clients = new BrazeClients({ us: target({ requests_per_second: 20 }), us_copy: target() }, {});
    const elapsed = await burst(clients, ['us', 'us_copy'], 10);
    await clients.close();
    expect(braze.state.history).toHaveLength(20);
    // 20 requests spaced 50 ms apart: the last starts 950 ms after the first.
    expect(elapsed).toBeGreaterThanOrEqual(900);
    // At 20/s a quarter second holds 5 or 6 (unshared, all 20 would land at once); slack for a loaded machine.
    expect(busiestWindow(250)).toBeLessThanOrEqual(8);
  });

  it('applies the daemon defaults to a target that sets no limits', async () => {
    const clients = new BrazeClients(
      { t: target() },
      { defaults: { requestsPerSecond: 25, maxInFlight: 2 } },
    );
    expect(clients.limitsOf('t')).toEqual({ requestsPerSecond: 25, maxInFlight: 2 });
    const elapsed = await burst(clients, ['t'], 11);
    await clients.close();
    expect(elapsed).toBeGreaterThanOrEqual(380);
  });

  it('caps requests in flight across clients: 8 requests of 100 ms, 2 at a time, take 400 ms', async () => {
    braze.state.faults.configure({ latency_ms: 100 });
    const clients = new BrazeClients({ t: target({ max_in_flight: 2 }) });
    const elapsed = await burst(clients, ['t', 't'], 4);
    await clients.close();
    expect(braze.state.history.filter((r) => r.status === 201)).toHaveLength(8);
    expect(braze.state.peakInFlight).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(390);
  });

  it('leaves a target without limits unthrottled, as a single run has always been', async () => {
    braze.state.faults.configure({ latency_ms: 100 });
    const clients = new BrazeClients({ t: target() });
    await burst(clients, ['t', 't'], 4);
    await clients.close();
    // All 8 were sent at once (a loaded machine may start a few late, hence not exactly 8).
    expect(braze.state.peakInFlight).toBeGreaterThan(2);
  });

  it('counts retries against the budget and still delivers', async () => {
    braze.state.faults.configure({
      script: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 503 },
      ],
    });
    const clients = new BrazeClients({ t: target({ requests_per_second: 20 }) });
    const elapsed = await burst(clients, ['t'], 4);
    await clients.close();
    expect(braze.state.history).toHaveLength(6);
    expect(braze.state.history.filter((r) => r.status === 201)).toHaveLength(4);
    expect(elapsed).toBeGreaterThanOrEqual(240);
  });
});
