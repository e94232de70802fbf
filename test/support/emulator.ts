import { request } from 'undici';
import {
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/emulator-server.js';
import type { SeedUser } from '../../src/emulator/user-directory.js';
import { atEnd } from './cleanup.js';
import { FAKE_SNOWFLAKE_PASSWORD } from './fake-snowflake/fake-login.js';

export const PARTNER = 'acme';
export const PARTNER_API_KEY = 'pk-test-5f0c2a9e-partner';
export const DATA_IMPORT_KEY = 'dik-test-8b1d4e77-import';
/** The workspace REST API key (with `users.track`) that `/users/track` accepts. */
export const REST_API_KEY = 'rest-test-3c9a71d2-track';

/** Environment a test config interpolates its secrets from. */
export const TEST_ENV = {
  BRAZE_PARTNER_API_KEY: PARTNER_API_KEY,
  BRAZE_DATA_IMPORT_KEY: DATA_IMPORT_KEY,
  BRAZE_REST_API_KEY: REST_API_KEY,
  SNOWFLAKE_PASSWORD: FAKE_SNOWFLAKE_PASSWORD,
};

/** The project's emulator on a free loopback port, stopped after the test file. */
export async function emulator(
  options: { users?: SeedUser[]; allUsersExist?: boolean; extra?: Partial<EmulatorOptions> } = {},
): Promise<RunningEmulator> {
  const running = await startEmulator({
    partners: [{ name: PARTNER, api_key: PARTNER_API_KEY }],
    workspaces: [
      {
        client_secret: DATA_IMPORT_KEY,
        partners: [PARTNER],
        rest_api_keys: [{ key: REST_API_KEY, permissions: ['users.track'] }],
        users: options.users,
        all_users_exist: options.allUsersExist,
      },
    ],
    ...options.extra,
  });
  atEnd(() => running.close());
  return running;
}

/** The identifiers of every member of an emulated cohort, one string per user, sorted. */
export function cohortMembers(running: RunningEmulator, cohortId: string): string[] {
  const workspace = running.state.workspaces[0]!;
  const cohort = workspace.cohorts.get(cohortId);
  if (!cohort) return [];
  return [...cohort.members].map((key) => describeUser(workspace.directory.describe(key))).sort();
}

export function describeUser(user: SeedUser): string {
  if (user.external_id !== undefined) return `external_id:${user.external_id}`;
  const alias = user.aliases?.[0];
  if (alias) return `alias:${alias.alias_label}:${alias.alias_name}`;
  return `device_id:${user.device_ids?.[0] ?? '?'}`;
}

/** Membership requests (not cohort creates) the emulator answered with `status`. */
export function membershipRequests(running: RunningEmulator, status?: number) {
  return running.state.history.filter(
    (r) => r.path.endsWith('/users') && (status === undefined || r.status === status),
  );
}

/** The custom attributes of every profile that holds `attribute`, one `identifier → value` pair each, sorted. */
export function profileAttribute(running: RunningEmulator, attribute: string): [string, unknown][] {
  const workspace = running.state.workspaces[0]!;
  return workspace.attributes
    .profiles()
    .map((key): [string, unknown] => [
      describeUser(workspace.directory.describe(key)),
      workspace.attributes.of(key)[attribute],
    ])
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** An answer of the emulator as a test reads it. */
export interface EmulatorAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** POSTs `body` (JSON, or text as it is) to the emulator and reads the answer. */
export async function postTo(
  running: RunningEmulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<EmulatorAnswer> {
  const response = await request(`${running.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}
