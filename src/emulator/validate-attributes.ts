import {
  IDENTIFYING_KEYS,
  type AttributesObject,
  type UserAlias,
} from '../destinations/braze-attribute/wire-types.js';

/**
 * The messages of `/users/track` answers. Braze documents `Max Input Length Exceeded` (errors.md) and
 * `provided external_id is blacklisted and disallowed` (post_user_track.md); the missing-identifier
 * wording is Braze's answer as a public client's test fixture records it; the rest are the emulator's.
 */
export const USERS_TRACK_MESSAGES = {
  invalidKey: 'Invalid API key',
  accessDenied: 'Access Denied',
  badRequest: 'Bad Request',
  tooMany: 'Max Input Length Exceeded',
  notObject: 'attributes object must be a JSON object',
  noIdentifier: "'external_id' or 'braze_id' or 'user_alias' is required",
  badAlias: "'user_alias' must have a non-empty 'alias_name' and 'alias_label'",
  badUpdateOnly: "'_update_existing_only' must be a boolean",
  blockedExternalId: 'provided external_id is blacklisted and disallowed',
  blockedAlias: 'provided user_alias is blacklisted and disallowed',
  badValue: (name: string) => `invalid value for custom attribute '${name}'`,
} as const;

/** A fatal (400) answer: its message, and the one entry of its `errors`. */
export interface FatalUsersTrackError {
  message: string;
  errors: [{ type: string; input_array?: string }];
}

/** Why a whole request is refused (400), or undefined when its shape is acceptable. */
export function validateUsersTrack(body: unknown, maxObjects: number): FatalUsersTrackError | undefined {
  const fatal = (message: string, type: string, input_array?: string): FatalUsersTrackError => ({
    message,
    errors: [input_array === undefined ? { type } : { type, input_array }],
  });
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return fatal(USERS_TRACK_MESSAGES.badRequest, 'request body must be a JSON object');
  const request = body as Record<string, unknown>;
  for (const array of ['attributes', 'events', 'purchases']) {
    const value = request[array];
    if (value === undefined) continue;
    if (!Array.isArray(value))
      return fatal(USERS_TRACK_MESSAGES.badRequest, `'${array}' must be an array`, array);
    if (value.length > maxObjects)
      return fatal(
        USERS_TRACK_MESSAGES.tooMany,
        `'${array}' holds ${value.length} objects, more than ${maxObjects}`,
        array,
      );
  }
  return undefined;
}

/**
 * Why Braze would not apply this attributes object (the `type` of its `errors` entry), or undefined.
 * `refused` says whether a fault setting refuses an identifier.
 */
export function attributesObjectError(
  object: unknown,
  refused: (kind: 'user_id' | 'alias', value: string | UserAlias) => boolean,
): string | undefined {
  if (object === null || typeof object !== 'object' || Array.isArray(object))
    return USERS_TRACK_MESSAGES.notObject;
  const o = object as AttributesObject;
  const strings = ['external_id', 'braze_id', 'email', 'phone'] as const;
  for (const key of strings)
    if (key in o && !isNonEmptyString(o[key])) return USERS_TRACK_MESSAGES.noIdentifier;
  if ('user_alias' in o && !isAlias(o.user_alias)) return USERS_TRACK_MESSAGES.badAlias;
  if (!strings.some((key) => key in o) && !('user_alias' in o)) return USERS_TRACK_MESSAGES.noIdentifier;
  if ('_update_existing_only' in o && typeof o._update_existing_only !== 'boolean')
    return USERS_TRACK_MESSAGES.badUpdateOnly;
  if (o.external_id !== undefined && refused('user_id', o.external_id))
    return USERS_TRACK_MESSAGES.blockedExternalId;
  if (o.user_alias !== undefined && refused('alias', o.user_alias)) return USERS_TRACK_MESSAGES.blockedAlias;
  for (const [name, value] of Object.entries(o)) {
    if (IDENTIFYING_KEYS.includes(name)) continue;
    if (!isValidValue(value)) return USERS_TRACK_MESSAGES.badValue(name);
  }
  return undefined;
}

function isValidValue(value: unknown): boolean {
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.every(isElement);
  if (typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  if ('add' in v || 'remove' in v) {
    const keysOk = Object.keys(v).every((key) => key === 'add' || key === 'remove');
    const arrayOk = (key: string) =>
      v[key] === undefined || (Array.isArray(v[key]) && v[key].every(isElement));
    return keysOk && arrayOk('add') && arrayOk('remove');
  }
  if ('inc' in v) return Object.keys(v).length === 1 && Number.isInteger(v.inc);
  return true; // a nested custom attribute (an object), kept as it is
}

function isElement(value: unknown): boolean {
  return typeof value === 'string';
}

function isAlias(value: unknown): value is UserAlias {
  if (value === null || typeof value !== 'object') return false;
  const alias = value as Record<string, unknown>;
  return isNonEmptyString(alias.alias_name) && isNonEmptyString(alias.alias_label);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
