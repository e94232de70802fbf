import { request } from 'undici';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UsersTrackResponse } from '../../src/destinations/braze-attribute/wire-types.js';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { USERS_TRACK_MESSAGES } from '../../src/emulator/validate-attributes.js';
import {
  REST_API_KEY,
  emulator,
  postTo,
  profileAttribute,
  type EmulatorAnswer,
} from '../support/emulator.js';

let braze: RunningEmulator;
const ALIAS = { alias_name: 'a@example.com', alias_label: 'email' };
const track = (attributes: unknown, key = REST_API_KEY): Promise<EmulatorAnswer> =>
  postTo(braze, '/users/track', { attributes }, { authorization: `Bearer ${key}` });
const only = (id: string, attribute: object) => ({
  external_id: id,
  _update_existing_only: true,
  ...attribute,
});

beforeAll(async () => {
  braze = await emulator({
    extra: {
      workspaces: [
        {
          rest_api_keys: [
            { key: REST_API_KEY },
            { key: 'rest-export-only', permissions: ['users.export.ids'] },
          ],
          users: [{ external_id: 'u1', aliases: [ALIAS] }, { external_id: 'u2' }, { device_ids: ['anon-1'] }],
        },
        { name: 'other', rest_api_keys: [{ key: 'rest-other-workspace' }], users: [{ external_id: 'u1' }] },
      ],
      users_track: { array_length_limit: 3 },
    },
  });
});
beforeEach(() => {
  braze.state.faults.configure({});
  braze.state.clock = Date.now;
});

describe('the emulator’s /users/track', () => {
  it('checks the Bearer REST API key first: 401 for a missing or unknown key, 403 for a key without users.track', async () => {
    const body = { attributes: [only('u1', { vip: true })] };
    const unknown = await postTo(braze, '/users/track', body, { authorization: 'Bearer nope' });
    const missing = await postTo(braze, '/users/track', body);
    const denied = await track([only('u1', { vip: true })], 'rest-export-only');
    expect([unknown, missing].map((a) => [a.status, a.body.message])).toEqual([
      [401, USERS_TRACK_MESSAGES.invalidKey],
      [401, USERS_TRACK_MESSAGES.invalidKey],
    ]);
    expect(denied).toMatchObject({ status: 403, body: { message: USERS_TRACK_MESSAGES.accessDenied } });
    // The key before the body: a malformed body with a bad key is a 401.
    expect((await postTo(braze, '/users/track', 'nonsense', { authorization: 'Bearer nope' })).status).toBe(
      401,
    );
    expect(profileAttribute(braze, 'vip')).toEqual([]);
  });

  it('rejects a malformed body or more than 75 objects whole with a 400 and an errors array, applying nothing', async () => {
    const objects = Array.from({ length: 76 }, (_, i) => only(i === 0 ? 'u1' : `x${i}`, { big: true }));
    const tooMany = await track(objects);
    expect(tooMany).toMatchObject({
      status: 400,
      body: { message: USERS_TRACK_MESSAGES.tooMany, errors: [{ input_array: 'attributes' }] },
    });
    expect(await track(objects.slice(0, 75))).toMatchObject({
      status: 201,
      body: { attributes_processed: 75 },
    });
    const malformed = [
      await postTo(braze, '/users/track', 'not json', { authorization: `Bearer ${REST_API_KEY}` }),
      await postTo(braze, '/users/track', [1, 2], { authorization: `Bearer ${REST_API_KEY}` }),
      await track('not an array'),
    ];
    for (const answer of malformed) {
      expect(answer.status).toBe(400);
      expect((answer.body as unknown as UsersTrackResponse).errors).toHaveLength(1);
    }
    expect(profileAttribute(braze, 'big')).toEqual([['external_id:u1', true]]); // only from the 75
  });

  it('answers 201 with an errors entry {type, input_array, index} for each object Braze refuses, and applies the others', async () => {
    const answer = await track([
      only('u1', { tier: 'gold' }),
      { device_id: 'anon-1', tier: 'gold' }, // no identifier /users/track knows
      only('u2', { tier: { add: [1] } }),
      { user_alias: { alias_name: 'x' }, tier: 'gold' },
      only('u2', { tier: 'silver' }),
    ]);
    expect(answer).toMatchObject({ status: 201, body: { message: 'success', attributes_processed: 2 } });
    expect(answer.body.errors).toEqual([
      { type: USERS_TRACK_MESSAGES.noIdentifier, input_array: 'attributes', index: 1 },
      { type: USERS_TRACK_MESSAGES.badValue('tier'), input_array: 'attributes', index: 2 },
      { type: USERS_TRACK_MESSAGES.badAlias, input_array: 'attributes', index: 3 },
    ]);
    expect(profileAttribute(braze, 'tier')).toEqual([
      ['external_id:u1', 'gold'],
      ['external_id:u2', 'silver'],
    ]);
    expect(braze.state.history.at(-1)).toMatchObject({ status: 201, applied: 2, rejected: 3, ignored: 0 });
  });

  it('refuses the identifiers a fault names with Braze’s blocked-identifier message, per object', async () => {
    braze.state.faults.configure({ reject_identifiers: { user_ids: ['u2'], aliases: [ALIAS] } });
    const answer = await track([
      only('u2', { blocked: true }),
      { user_alias: ALIAS, blocked: true },
      only('u1', { blocked: true }),
    ]);
    expect(answer.body.errors).toEqual([
      { type: USERS_TRACK_MESSAGES.blockedExternalId, input_array: 'attributes', index: 0 },
      { type: USERS_TRACK_MESSAGES.blockedAlias, input_array: 'attributes', index: 1 },
    ]);
    expect(profileAttribute(braze, 'blocked')).toEqual([['external_id:u1', true]]);
  });

  it('honours _update_existing_only: never creates a user when true (or for an alias by default), creates one when false', async () => {
    const before = braze.state.workspaces[0]!.directory.size;
    await track([
      only('ghost', { seen: true }),
      { user_alias: { alias_name: 'nobody', alias_label: 'email' }, seen: true },
    ]);
    expect(braze.state.history.at(-1)).toMatchObject({ applied: 0, ignored: 2, created: 0 });
    expect(braze.state.workspaces[0]!.directory.size).toBe(before);

    await track([
      { external_id: 'new-1', seen: true }, // Braze's default for an external id: create
      { external_id: 'new-2', _update_existing_only: false, seen: true },
      {
        user_alias: { alias_name: 'new@example.com', alias_label: 'email' },
        _update_existing_only: false,
        seen: true,
      },
      { user_alias: ALIAS, seen: 'by alias' }, // u1's alias: u1's profile
    ]);
    expect(braze.state.history.at(-1)).toMatchObject({ applied: 4, created: 3, ignored: 0 });
    expect(braze.state.workspaces[0]!.directory.size).toBe(before + 3);
    expect(profileAttribute(braze, 'seen')).toEqual([
      ['alias:email:new@example.com', true],
      ['external_id:new-1', true],
      ['external_id:new-2', true],
      ['external_id:u1', 'by alias'],
    ]);
  });

  it('keeps array attributes as sets with add and remove, drops the oldest past the length limit, and stores booleans and null', async () => {
    await track([
      only('u1', { audiences: { add: ['vip', 'churn'] } }),
      only('u1', { audiences: { add: ['vip'] } }),
    ]);
    expect(profileAttribute(braze, 'audiences')).toEqual([['external_id:u1', ['churn', 'vip']]]);
    await track([only('u1', { audiences: { add: ['a', 'b'], remove: ['churn'] } })]);
    // add and remove in one object; past the limit of 3 (this emulator's option) the oldest goes.
    expect(profileAttribute(braze, 'audiences')).toEqual([['external_id:u1', ['vip', 'a', 'b']]]);
    await track([
      only('u1', { audiences: { remove: ['vip', 'absent'] } }),
      only('u2', { audiences: { remove: ['x'] } }),
    ]);
    expect(profileAttribute(braze, 'audiences')).toEqual([
      ['external_id:u1', ['a', 'b']],
      ['external_id:u2', []],
    ]);

    await track([only('u1', { is_vip: true }), only('u2', { is_vip: false })]);
    expect(profileAttribute(braze, 'is_vip')).toEqual([
      ['external_id:u1', true],
      ['external_id:u2', false],
    ]);
    await track([only('u1', { is_vip: null })]);
    expect(profileAttribute(braze, 'is_vip')).toEqual([['external_id:u2', false]]);
  });

  it('truncates keys and strings longer than 255 characters, as Braze does', async () => {
    await track([only('u1', { ['k'.repeat(300)]: 'v'.repeat(300), long_list: { add: ['e'.repeat(300)] } })]);
    expect(profileAttribute(braze, 'k'.repeat(255))).toEqual([['external_id:u1', 'v'.repeat(255)]]);
    expect(profileAttribute(braze, 'long_list')).toEqual([['external_id:u1', ['e'.repeat(255)]]]);
  });

  it('keeps each workspace’s profiles apart, by the workspace of the key', async () => {
    await postTo(
      braze,
      '/users/track',
      { attributes: [only('u1', { where: 'other' })] },
      {
        authorization: 'Bearer rest-other-workspace',
      },
    );
    expect(profileAttribute(braze, 'where')).toEqual([]);
    const other = braze.state.workspaces[1]!;
    expect(other.attributes.of(other.directory.resolve('user_id', 'u1')!)).toEqual({ where: 'other' });
  });

  it('sends the rate-limit headers on every answer, with a 3-second window of 3,000 requests per workspace, and a 429 past it', async () => {
    const now = Date.parse('2026-11-23T10:10:01.500Z');
    braze.state.clock = () => now;
    braze.state.faults.configure({});
    const answers = [
      await track([only('u1', { n: 1 })]),
      await track([], 'rest-export-only'),
      await track([], 'nope'),
    ];
    expect(
      answers.map((a) => [a.status, a.headers['x-ratelimit-limit'], a.headers['x-ratelimit-remaining']]),
    ).toEqual([
      [201, '3000', '2999'],
      [403, '3000', '2998'],
      [401, '3000', '2999'], // an unknown key is no workspace's: a window of its own
    ]);
    // Windows of 3 s from the epoch: 10:10:00 to 10:10:03.
    const reset = String(Date.parse('2026-11-23T10:10:03Z') / 1000);
    expect(answers.every((a) => a.headers['x-ratelimit-reset'] === reset)).toBe(true);

    braze.state.faults.configure({ users_track_requests_per_window: 2, users_track_window_seconds: 3 });
    const limited = [];
    for (let i = 0; i < 3; i++) limited.push(await track([only('u1', { n: i })]));
    expect(limited.map((a) => a.status)).toEqual([201, 201, 429]);
    expect(limited[2]!.headers).toMatchObject({
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': reset,
      'retry-after': '2',
    });
    expect(braze.state.history.at(-1)).toMatchObject({ status: 429, fault: 'requests_per_window' });
    expect(profileAttribute(braze, 'n')).toEqual([['external_id:u1', 1]]);
  });

  it('injects faults as on the cohort routes: 5xx and 423 apply nothing, a drop after apply applies and never answers', async () => {
    braze.state.faults.configure({
      script: [
        { kind: 'status', status: 503 },
        { kind: 'status', status: 423 },
        { kind: 'drop_after_apply' },
      ],
    });
    const failed = [await track([only('u1', { f: 'a' })]), await track([only('u1', { f: 'b' })])];
    expect(failed.map((a) => [a.status, a.headers['x-ratelimit-limit']])).toEqual([
      [503, '3000'],
      [423, '3000'],
    ]);
    expect(profileAttribute(braze, 'f')).toEqual([]);
    await expect(track([only('u1', { f: 'c' })])).rejects.toThrow();
    expect(profileAttribute(braze, 'f')).toEqual([['external_id:u1', 'c']]);
    expect(braze.state.history.at(-1)).toMatchObject({ status: 0, fault: 'drop_after_apply', applied: 1 });
  });

  it('shows each profile’s attributes at GET /_emulator/profiles, optionally only those holding one attribute', async () => {
    const all = (await (await request(`${braze.url}/_emulator/profiles`)).body.json()) as {
      profiles: { external_id?: string; attributes: Record<string, unknown> }[];
    };
    expect(all.profiles.find((p) => p.external_id === 'u2')?.attributes).toMatchObject({
      tier: 'silver',
      is_vip: false,
    });
    const vip = (await (await request(`${braze.url}/_emulator/profiles?attribute=is_vip`)).body.json()) as {
      profiles: { external_id?: string }[];
    };
    expect(vip.profiles.map((p) => p.external_id)).toEqual(['u2']);
    const other = (await (await request(`${braze.url}/_emulator/profiles?workspace=other`)).body.json()) as {
      workspace: string;
      profiles: unknown[];
    };
    expect(other).toMatchObject({
      workspace: 'other',
      profiles: [{ external_id: 'u1', attributes: { where: 'other' } }],
    });
  });
});
