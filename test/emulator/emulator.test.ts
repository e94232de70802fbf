import { request } from 'undici';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { MESSAGES } from '../../src/emulator/validate-request.js';
import { DATA_IMPORT_KEY, PARTNER, PARTNER_API_KEY, cohortMembers, emulator } from '../support/emulator.js';

let braze: RunningEmulator;

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; body: { message?: string }; headers: Record<string, unknown> }> {
  const response = await request(`${braze.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return {
    status: response.statusCode,
    body: (await response.body.json()) as { message?: string },
    headers: response.headers,
  };
}

const keys = { partner_api_key: PARTNER_API_KEY, client_secret: DATA_IMPORT_KEY };
const create = (extra: object = {}) =>
  post(`/partners/${PARTNER}/cohorts`, {
    ...keys,
    cohort_id: 'c1',
    name: 'One',
    created_at: '2026-11-23T10:00:00Z',
    ...extra,
  });
const change = (cohort_changes: unknown, extra: object = {}) =>
  post(`/partners/${PARTNER}/cohorts/users`, { ...keys, cohort_id: 'c1', cohort_changes, ...extra });

beforeAll(async () => {
  braze = await emulator({
    users: [
      { external_id: 'u1', device_ids: ['d-of-u1'] },
      { external_id: 'u2' },
      { device_ids: ['anon'] },
      { aliases: [{ alias_name: 'a@x', alias_label: 'email' }] },
    ],
    extra: {
      partners: [
        { name: PARTNER, api_key: PARTNER_API_KEY },
        { name: 'other', api_key: 'pk-other' },
      ],
    },
  });
});

beforeEach(() => {
  braze.state.faults.configure({});
});

describe('the Braze emulator', () => {
  it('checks auth in Braze order: partner key, then client secret, then partner enabled', async () => {
    expect(await create({ partner_api_key: 'wrong', client_secret: 'also-wrong' })).toMatchObject({
      status: 401,
      body: { message: 'Invalid Partner API key' },
    });
    expect(await create({ client_secret: 'wrong' })).toMatchObject({
      status: 401,
      body: { message: 'Invalid client secret' },
    });
    const notEnabled = await post('/partners/other/cohorts', {
      ...keys,
      partner_api_key: 'pk-other',
      cohort_id: 'c1',
      name: 'x',
      created_at: '2026-11-23T10:00:00Z',
    });
    expect(notEnabled).toMatchObject({
      status: 401,
      body: { message: `Partner not enabled for client with client secret: ${DATA_IMPORT_KEY}` },
    });
    // Auth comes before validation: a bad body with bad keys is a 401.
    expect(await create({ partner_api_key: 'wrong', name: '' })).toMatchObject({ status: 401 });
  });

  it('validates create bodies with the documented messages', async () => {
    expect(await create({ cohort_id: '' })).toMatchObject({
      status: 400,
      body: { message: MESSAGES.cohortId },
    });
    expect(await create({ name: '' })).toMatchObject({ status: 400, body: { message: MESSAGES.name } });
    expect(await create({ created_at: 'yesterday' })).toMatchObject({
      status: 400,
      body: { message: MESSAGES.createdAt },
    });
    expect(await create()).toMatchObject({ status: 201, body: { message: 'success' } });
    expect(await create({ name: 'Renamed' })).toMatchObject({ status: 201 });
    expect(braze.state.workspaces[0]!.cohorts.get('c1')?.name).toBe('Renamed');
  });

  it('validates membership bodies and the 1,000-identifier cap counted over every array', async () => {
    await create();
    expect(await change('nope')).toMatchObject({ status: 400, body: { message: MESSAGES.cohortChanges } });
    expect(await change([{ user_ids: [1, 2] }])).toMatchObject({
      status: 400,
      body: { message: MESSAGES.cohortChanges },
    });
    expect(await change([{ should_remove: true }])).toMatchObject({
      status: 400,
      body: { message: MESSAGES.cohortChanges },
    });
    expect(await change([{ aliases: [{ alias_name: 'x' }] }])).toMatchObject({
      status: 400,
      body: { message: MESSAGES.cohortChanges },
    });
    const ids = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    expect(
      await change([{ user_ids: ids(600, 'u') }, { device_ids: ids(401, 'd'), should_remove: true }]),
    ).toMatchObject({ status: 400, body: { message: MESSAGES.tooMany } });
    expect(
      await change([{ user_ids: ids(600, 'u') }, { device_ids: ids(400, 'd'), should_remove: true }]),
    ).toMatchObject({ status: 201 });
    expect(await change([])).toMatchObject({ status: 201 }); // Segment tests credentials this way
  });

  it('ignores unknown users and device ids of identified users, and applies entries in order', async () => {
    await create();
    await change([
      {
        user_ids: ['u1', 'u2', 'nobody'],
        device_ids: ['anon', 'd-of-u1'],
        aliases: [{ alias_name: 'a@x', alias_label: 'email' }],
      },
    ]);
    await change([{ user_ids: ['u2'], should_remove: true }, { user_ids: ['u2'] }]);
    expect(cohortMembers(braze, 'c1')).toEqual([
      'alias:email:a@x',
      'device_id:anon',
      'external_id:u1',
      'external_id:u2',
    ]);
    const last = braze.state.history.at(-2);
    expect(last).toMatchObject({ adds: 4, ignored: 2 });
  });

  it('refuses membership writes to a cohort that was never created, but accepts an empty one (Segment’s credential check)', async () => {
    const response = await change([{ user_ids: ['u1'] }], { cohort_id: 'never-created' });
    expect(response.status).toBe(404);
    expect(await change([], { cohort_id: 'never-created' })).toMatchObject({
      status: 201,
      body: { message: 'success' },
    });
    expect(braze.state.workspaces[0]!.cohorts.has('never-created')).toBe(false);
    expect(await change([], { cohort_id: 'never-created', client_secret: 'wrong' })).toMatchObject({
      status: 401,
    });
  });

  it('injects 429s with Retry-After and X-RateLimit headers, and enforces a requests-per-window limit', async () => {
    braze.state.faults.configure({ script: [{ kind: 'rate_limit', retryAfterSeconds: 7 }] });
    const limited = await create();
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);

    // A clock of the test's own, 10 minutes into an hour: no window boundary falls between the requests.
    const now = Date.parse('2026-11-23T10:10:00Z');
    braze.state.clock = () => now;
    try {
      braze.state.faults.configure({ requests_per_hour: 2, rate_window_seconds: 3600 });
      expect((await create()).status).toBe(201);
      const second = await create();
      expect(second.status).toBe(201);
      expect(second.headers['x-ratelimit-remaining']).toBe('0');
      const third = await create();
      expect(third.status).toBe(429);
      expect(third.headers['x-ratelimit-limit']).toBe('2');
      // The window resets on the hour: 50 minutes from the emulator's now.
      expect(third.headers['x-ratelimit-reset']).toBe(String(Date.parse('2026-11-23T11:00:00Z') / 1000));
      expect(third.headers['retry-after']).toBe(String(50 * 60));
      expect(braze.state.history.at(-1)).toMatchObject({ status: 429, fault: 'requests_per_hour' });
      braze.state.clock = () => now + 3600_000; // an hour later, a new window
      expect((await create()).status).toBe(201);
    } finally {
      braze.state.clock = Date.now;
    }
  });

  it('a 429 may carry only X-RateLimit-Reset, as Braze documents Retry-After as optional', async () => {
    braze.state.faults.configure({ script: [{ kind: 'rate_limit', retryAfterSeconds: 3, resetOnly: true }] });
    const limited = await create();
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeUndefined();
    expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
  });

  it('injects 5xx and 423 without applying the request', async () => {
    await create();
    braze.state.faults.configure({
      script: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 423 },
      ],
    });
    expect((await change([{ user_ids: ['u1'], should_remove: true }])).status).toBe(503);
    expect(await change([{ user_ids: ['u1'], should_remove: true }])).toMatchObject({
      status: 423,
      body: { message: 'Resource locked' },
    });
    expect(cohortMembers(braze, 'c1')).toContain('external_id:u1');
  });

  it('answers 404 outside its routes and serves the admin view', async () => {
    expect((await post('/users/export/ids', {})).status).toBe(404);
    expect((await post(`/partners/${PARTNER}/cohorts/other`, {})).status).toBe(404);
    const admin = await request(`${braze.url}/_emulator/cohorts`);
    const body = (await admin.body.json()) as { cohorts: { cohort_id: string; size: number }[] };
    expect(body.cohorts.find((c) => c.cohort_id === 'c1')?.size).toBeGreaterThan(0);
  });
});
