import type { IncomingMessage } from 'node:http';
import {
  MAX_ATTRIBUTES_OBJECTS_PER_REQUEST,
  USERS_TRACK_PERMISSION,
  type AttributesObject,
  type UsersTrackObjectError,
  type UsersTrackRequest,
} from '../destinations/braze-attribute/wire-types.js';
import type { EmulatorState } from './emulator-state.js';
import { parseJsonObject } from './read-body.js';
import type { ApiRoute, Outcome } from './serve-api-request.js';
import { USERS_TRACK_MESSAGES, attributesObjectError, validateUsersTrack } from './validate-attributes.js';
import type { Workspace } from './workspace.js';

/** Braze's documented default length limit of an array attribute (user_attributes_object.md). */
const DEFAULT_ARRAY_LENGTH_LIMIT = 25;

/**
 * `POST /users/track` as ../shared/braze-users-track.md describes it: the Bearer REST API key (401 when
 * unknown, 403 without `users.track`), the body (400 for a malformed one or more than 75 objects), then
 * each attributes object in order: one Braze refuses gets an `errors` entry at its index, the others
 * are applied (Update Only honoured against the workspace's users). One budget per workspace.
 */
export function usersTrackRoute(state: EmulatorState, req: IncomingMessage): ApiRoute {
  const key = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  const workspace = key === undefined ? undefined : state.workspaces.find((w) => w.restApiKeys.has(key));
  return {
    budget: 'users_track',
    scope: workspace?.name ?? '',
    membership: true,
    answer: (raw) => answerUsersTrack(state, workspace, key, raw),
  };
}

function answerUsersTrack(
  state: EmulatorState,
  workspace: Workspace | undefined,
  key: string | undefined,
  raw: Buffer,
): Outcome {
  const fail = (status: number, body: object): Outcome => ({
    status,
    body,
    record: { workspace: workspace?.name, adds: 0, removes: 0, ignored: 0 },
  });
  if (!workspace || key === undefined) return fail(401, { message: USERS_TRACK_MESSAGES.invalidKey });
  if (!workspace.restApiKeys.get(key)?.has(USERS_TRACK_PERMISSION))
    return fail(403, { message: USERS_TRACK_MESSAGES.accessDenied });
  const options = state.options.users_track ?? {};
  const body = parseJsonObject(raw);
  const fatal = validateUsersTrack(
    body ?? null,
    options.max_objects_per_request ?? MAX_ATTRIBUTES_OBJECTS_PER_REQUEST,
  );
  if (fatal) return fail(400, fatal);

  const request = body as UsersTrackRequest;
  const { errors, counts } = applyObjects(
    state,
    workspace,
    request.attributes ?? [],
    options.array_length_limit,
  );
  const processed = (name: 'attributes' | 'events' | 'purchases', n: number | undefined) =>
    n === undefined ? {} : { [`${name}_processed`]: n };
  return {
    status: 201,
    body: {
      message: 'success',
      ...processed('attributes', request.attributes && request.attributes.length - errors.length),
      ...processed('events', request.events?.length),
      ...processed('purchases', request.purchases?.length),
      ...(errors.length > 0 ? { errors } : {}),
    },
    record: {
      workspace: workspace.name,
      adds: 0,
      removes: 0,
      ignored: counts.ignored,
      applied: counts.applied + counts.created,
      created: counts.created,
      rejected: errors.length,
    },
  };
}

/** Checks and applies each attributes object in order; a refused one becomes an `errors` entry at its index. */
function applyObjects(
  state: EmulatorState,
  workspace: Workspace,
  objects: readonly unknown[],
  arrayLimit = DEFAULT_ARRAY_LENGTH_LIMIT,
): { errors: UsersTrackObjectError[]; counts: Record<'applied' | 'created' | 'ignored', number> } {
  const errors: UsersTrackObjectError[] = [];
  const counts = { applied: 0, created: 0, ignored: 0 };
  objects.forEach((object, index) => {
    const type = attributesObjectError(object, (kind, value) => state.faults.rejects(kind, value));
    if (type !== undefined) errors.push({ type, input_array: 'attributes', index });
    else counts[workspace.trackAttributes(object as AttributesObject, arrayLimit)]++;
  });
  return { errors, counts };
}
