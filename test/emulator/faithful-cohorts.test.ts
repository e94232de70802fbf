import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import type { Fault } from '../../src/emulator/faults.js';
import { MESSAGES } from '../../src/emulator/validate-request.js';
import {
  DATA_IMPORT_KEY,
  PARTNER,
  PARTNER_API_KEY,
  cohortMembers,
  emulator,
  postTo,
  type EmulatorAnswer,
} from '../support/emulator.js';

let braze: RunningEmulator;
const keys = { partner_api_key: PARTNER_API_KEY, client_secret: DATA_IMPORT_KEY };
const create = (extra: object = {}) =>
  postTo(braze, `/partners/${PARTNER}/cohorts`, {
    ...keys,
    cohort_id: 'p1',
    name: 'Profiles',
    created_at: '2026-11-23T10:00:00Z',
    ...extra,
  });
const change = (cohort_changes: unknown, extra: object = {}) =>
  postTo(braze, `/partners/${PARTNER}/cohorts/users`, { ...keys, cohort_id: 'p1', cohort_changes, ...extra });
const rateLimit = (answer: EmulatorAnswer) => ({
  limit: answer.headers['x-ratelimit-limit'],
  remaining: answer.headers['x-ratelimit-remaining'],
  reset: answer.headers['x-ratelimit-reset'],
});

const X1_ALIAS = { alias_name: 'x1@example.com', alias_label: 'email' };

beforeAll(async () => {
  braze = await emulator({
    users: [
      { external_id: 'x1', aliases: [X1_ALIAS], device_ids: ['dev-of-x1'] },
      { device_ids: ['anon-1'] },
      { aliases: [{ alias_name: 'b@example.com', alias_label: 'email' }] },
    ],
  });
});
beforeEach(() => {
  braze.state.faults.configure({});
  braze.state.clock = Date.now;
});

describe('the emulator’s cohort routes answer as Braze documents', () => {
  it('sends X-RateLimit-Limit, -Remaining and -Reset on every answer (success, 400, 401, 404, injected 5xx, 423, 429), Reset at the end of the hour', async () => {
    // The emulator's clock 10 minutes into an hour: every request falls in that hour's window.
    const now = Date.parse('2026-11-23T10:10:00Z');
    braze.state.clock = () => now;
    braze.state.faults.configure({});
    const faults: Fault[] = [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 423 },
      { kind: 'rate_limit', retryAfterSeconds: 5, resetOnly: true },
    ];
    const answers: EmulatorAnswer[] = [
      await create(),
      await change([{ user_ids: ['x1'] }]),
      await create({ name: '' }),
      await create({ client_secret: 'wrong' }),
      await change([{ user_ids: ['x1'] }], { cohort_id: 'never-created' }),
      await postTo(braze, `/partners/${PARTNER}/cohorts`, 'not json'),
    ];
    braze.state.faults.configure({ script: faults });
    for (let i = 0; i < faults.length; i++) answers.push(await change([{ user_ids: ['x1'] }]));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 400, 401, 404, 400, 503, 500, 423, 429]);

    const endOfHour = String(Date.parse('2026-11-23T11:00:00Z') / 1000);
    // New fault settings open a new window: the count restarts with the injected faults.
    const remaining = [...[1, 2, 3, 4, 5, 6], ...[1, 2, 3]].map((n) => String(250_000 - n));
    expect(answers.slice(0, 9).map(rateLimit)).toEqual(
      remaining.map((r) => ({ limit: '250000', remaining: r, reset: endOfHour })),
    );
    // An injected 429 says its own reset: the emulator's now plus the fault's seconds.
    expect(rateLimit(answers[9]!)).toEqual({
      limit: '250000',
      remaining: '0',
      reset: String(now / 1000 + 5),
    });
  });

  it('takes its hourly budget from its options, and turns requests past it away with a 429 that also says when the window ends', async () => {
    const small = await emulator({
      allUsersExist: true,
      extra: { rate_limits: { cohorts: { requests: 2, window_seconds: 60 } } },
    });
    const now = Date.parse('2026-11-23T10:10:30Z');
    small.state.clock = () => now;
    const body = { ...keys, cohort_id: 'c', name: 'C', created_at: '2026-11-23T10:00:00Z' };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await postTo(small, `/partners/${PARTNER}/cohorts`, body));
    expect(answers.map((a) => [a.status, a.headers['x-ratelimit-remaining']])).toEqual([
      [201, '1'],
      [201, '0'],
      [429, '0'],
    ]);
    expect(answers[2]!.headers).toMatchObject({
      'x-ratelimit-limit': '2',
      'x-ratelimit-reset': String(Date.parse('2026-11-23T10:11:00Z') / 1000),
      'retry-after': '30',
    });
  });

  it('keeps membership per profile: an external id, an alias and a device id of one user add or remove that one user', async () => {
    await create();
    await change([{ user_ids: ['x1'], should_remove: true }]);
    expect(await change([{ aliases: [X1_ALIAS] }])).toMatchObject({ status: 201 });
    expect(cohortMembers(braze, 'p1')).toEqual(['external_id:x1']); // added by alias: the profile of x1
    await change([{ user_ids: ['x1'], should_remove: true }]);
    expect(cohortMembers(braze, 'p1')).toEqual([]); // removed by external id: the same profile

    // The same profile twice in one entry is two identifier writes and one member.
    await change([{ user_ids: ['x1'], aliases: [X1_ALIAS] }]);
    expect(braze.state.history.at(-1)).toMatchObject({ adds: 2, ignored: 0 });
    expect(cohortMembers(braze, 'p1')).toEqual(['external_id:x1']);
  });

  it('applies the entries of one request in order: add external id then remove its alias leaves the user out, the other order leaves them in', async () => {
    await create();
    await change([{ user_ids: ['x1'] }, { aliases: [X1_ALIAS], should_remove: true }]);
    expect(cohortMembers(braze, 'p1')).toEqual([]);
    await change([{ aliases: [X1_ALIAS], should_remove: true }, { user_ids: ['x1'] }]);
    expect(cohortMembers(braze, 'p1')).toEqual(['external_id:x1']);
    await change([{ user_ids: ['x1'], should_remove: true }]);
  });

  it('ignores unknown identifiers and device ids of identified users; an anonymous member stays a member once identified', async () => {
    await create();
    await change([
      {
        user_ids: ['nobody'],
        device_ids: ['dev-of-x1', 'anon-1'],
        aliases: [{ alias_name: 'z', alias_label: 'l' }],
      },
    ]);
    expect(braze.state.history.at(-1)).toMatchObject({ adds: 1, ignored: 3 });
    expect(cohortMembers(braze, 'p1')).toEqual(['device_id:anon-1']);

    // The anonymous profile of anon-1 is identified as x2: still the same member.
    braze.state.workspaces[0]!.directory.upsert([{ external_id: 'x2', device_ids: ['anon-1'] }]);
    expect(cohortMembers(braze, 'p1')).toEqual(['external_id:x2']);
    await change([{ device_ids: ['anon-1'], should_remove: true }]); // now an identified user's device
    expect(braze.state.history.at(-1)).toMatchObject({ removes: 0, ignored: 1 });
    expect(cohortMembers(braze, 'p1')).toEqual(['external_id:x2']);
    await change([{ user_ids: ['x2'], should_remove: true }]);
    expect(cohortMembers(braze, 'p1')).toEqual([]);
  });

  it('refuses a request whole with a 400 when it names an identifier the faults reject, with Braze’s message and no identifier in it', async () => {
    await create();
    braze.state.faults.configure({
      reject_identifiers: {
        user_ids: ['x1'],
        aliases: [{ alias_name: 'b@example.com', alias_label: 'email' }],
      },
    });
    const refused = [
      await change([{ aliases: [X1_ALIAS] }, { user_ids: ['x1'], should_remove: true }]),
      await change([{ aliases: [{ alias_name: 'b@example.com', alias_label: 'email' }] }]),
    ];
    for (const answer of refused) {
      expect(answer).toMatchObject({ status: 400, body: { message: MESSAGES.cohortChanges } });
      expect(answer.headers['x-ratelimit-limit']).toBe('250000');
    }
    expect(cohortMembers(braze, 'p1')).toEqual([]); // nothing of a refused request is applied
    // Only the identifiers named are refused: x1's alias is not x1's external id.
    expect(await change([{ aliases: [X1_ALIAS] }])).toMatchObject({ status: 201 });
    expect(cohortMembers(braze, 'p1')).toEqual(['external_id:x1']);
  });
});
