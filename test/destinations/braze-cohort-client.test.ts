import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { BrazeApiError } from '../../src/errors.js';
import { BrazeClient } from '../../src/destinations/braze-cohort/braze-cohort-client.js';
import { waitFromHeaders } from '../../src/destinations/braze-cohort/classify-response.js';
import { DATA_IMPORT_KEY, PARTNER, PARTNER_API_KEY, emulator } from '../support/emulator.js';

let braze: RunningEmulator;
const fastRetry = { maxAttempts: 4, maxElapsedMs: 10_000, baseDelayMs: 1, maxDelayMs: 5 };

function client(overrides: Partial<ConstructorParameters<typeof BrazeClient>[0]> = {}): BrazeClient {
  return new BrazeClient({
    endpoint: braze.url,
    partner: PARTNER,
    partnerApiKey: PARTNER_API_KEY,
    dataImportKey: DATA_IMPORT_KEY,
    retry: fastRetry,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<BrazeApiError & { retries: number }> {
  try {
    await promise;
  } catch (error) {
    return error as BrazeApiError & { retries: number };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  braze = await emulator({ allUsersExist: true });
});
beforeEach(() => braze.state.faults.configure({}));

describe('BrazeClient against the emulator', () => {
  it('creates a cohort and sends changes, counting no retries on a clean path', async () => {
    const c = client();
    expect(await c.upsertCohort({ id: 'k1', name: 'K', createdAt: new Date() })).toEqual({ retries: 0 });
    expect(await c.sendChanges('k1', [{ user_ids: ['a', 'b'] }])).toEqual({ retries: 0 });
    expect(braze.state.workspaces[0]!.cohorts.get('k1')?.members.size).toBe(2);
  });

  it('retries 503, 423, 429 and dropped connections, and counts the retries', async () => {
    braze.state.faults.configure({
      script: [{ kind: 'status', status: 503 }, { kind: 'status', status: 423 }, { kind: 'drop' }],
    });
    expect(await client().sendChanges('k1', [{ user_ids: ['c'] }])).toEqual({ retries: 3 });
  });

  it('retries a 503 and a 423 after a short backoff although their X-RateLimit-Reset is an hour away', async () => {
    // An emulator clock an hour ahead: the window named by every answer ends 60 to 120 minutes from now.
    braze.state.clock = () => Date.now() + 3_600_000;
    try {
      braze.state.faults.configure({
        script: [
          { kind: 'status', status: 503 },
          { kind: 'status', status: 423 },
        ],
      });
      const started = Date.now();
      expect(await client().sendChanges('k1', [{ user_ids: ['c2'] }])).toEqual({ retries: 2 });
      expect(Date.now() - started).toBeLessThan(5_000); // two backoffs of at most 5 ms, not an hour
    } finally {
      braze.state.clock = Date.now;
    }
  });

  it('waits as long as Retry-After says before retrying a 429', async () => {
    braze.state.faults.configure({ script: [{ kind: 'rate_limit', retryAfterSeconds: 1 }] });
    const started = Date.now();
    await client().sendChanges('k1', [{ user_ids: ['d'] }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('reads the wait from Retry-After seconds, an HTTP date, or X-RateLimit-Reset', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(waitFromHeaders({ 'retry-after': '3' }, now)).toBe(3000);
    expect(waitFromHeaders({ 'retry-after': 'Mon, 23 Nov 2026 10:00:05 GMT' }, now)).toBe(5000);
    expect(waitFromHeaders({ 'x-ratelimit-reset': String(now / 1000 + 9) }, now)).toBe(9000);
    expect(waitFromHeaders({}, now)).toBeUndefined();
  });

  it('gives up after the configured attempts and reports the retries spent', async () => {
    braze.state.faults.configure({ server_error_rate: 1 });
    const error = await failure(client().sendChanges('k1', [{ user_ids: ['e'] }]));
    expect(error).toBeInstanceOf(BrazeApiError);
    expect(error).toMatchObject({ code: 'BRAZE_SERVER_ERROR', status: 503, retryable: true, retries: 3 });
  });

  it('does not retry a 401, names the rejected key, mentions the instance, and never echoes the secret', async () => {
    const before = braze.state.history.length;
    const wrongSecret = await failure(
      client({ dataImportKey: 'dik-wrong-secret-value' }).sendChanges('k1', []),
    );
    expect(braze.state.history.length - before).toBe(1);
    expect(wrongSecret).toMatchObject({ code: 'BRAZE_UNAUTHORIZED', status: 401, retries: 0 });
    expect(wrongSecret.message).toMatch(/Invalid client secret.*data_import_key.*wrong instance/s);

    const wrongPartner = await failure(client({ partnerApiKey: 'pk-wrong' }).sendChanges('k1', []));
    expect(wrongPartner.message).toMatch(/partner_api_key/);
  });

  it('redacts a key that Braze echoes in its message', async () => {
    const other = new BrazeClient({
      endpoint: braze.url,
      partner: 'not-enabled',
      partnerApiKey: PARTNER_API_KEY,
      dataImportKey: DATA_IMPORT_KEY,
      retry: fastRetry,
    });
    const error = await failure(other.sendChanges('k1', []));
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(PARTNER_API_KEY);
    expect(error.message).not.toContain(DATA_IMPORT_KEY);
  });

  it('does not retry a 400 and reports Braze’s message', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `x${i}`);
    const error = await failure(client().sendChanges('k1', [{ user_ids: ids }]));
    expect(error).toMatchObject({ code: 'BRAZE_BAD_REQUEST', status: 400, retries: 0 });
    expect(error.message).toContain('Only 1,000');
  });

  it('treats a refused connection as a network error naming the endpoint', async () => {
    const error = await failure(
      client({ endpoint: 'http://127.0.0.1:1', retry: { ...fastRetry, maxAttempts: 2 } }).sendChanges(
        'k1',
        [],
      ),
    );
    expect(error).toMatchObject({ code: 'BRAZE_NETWORK', retryable: true, retries: 1 });
    expect(error.message).toContain('http://127.0.0.1:1');
  });
});
