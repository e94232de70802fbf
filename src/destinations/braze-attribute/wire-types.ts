/**
 * Braze's `/users/track` endpoint on the wire, in the API's own snake_case (post_user_track.md,
 * user_attributes_object.md). Shared by the attribute client (src/destinations/braze-attribute) and
 * the emulator (src/emulator) — the only thing they share.
 */
import type { UserAlias } from '../braze-cohort/wire-types.js';

export type { UserAlias };

/** Adds elements to, and removes elements from, an array attribute without rewriting it. */
export interface ArrayAttributeChange {
  add?: string[];
  remove?: string[];
}

/** The value of one custom attribute in an attributes object; `null` removes the attribute. */
export type AttributeValue =
  string | number | boolean | null | string[] | ArrayAttributeChange | { inc: number };

/**
 * One attributes object: one user, named by one identifier (`external_id`, `user_alias`, `braze_id`,
 * `email` or `phone`; there is no `device_id` here), and the attributes to write on that profile.
 */
export interface AttributesObject {
  external_id?: string;
  user_alias?: UserAlias;
  braze_id?: string;
  email?: string;
  phone?: string;
  /**
   * "Update Only" mode: never create a profile. Braze's default is `false` for `external_id` (an unknown
   * id creates a user) and `true` for `user_alias`.
   */
  _update_existing_only?: boolean;
  [attribute: string]: AttributeValue | UserAlias | undefined;
}

/** POST /users/track. Events and purchases exist in the API; cohort-sync sends attributes only. */
export interface UsersTrackRequest {
  attributes?: AttributesObject[];
  events?: unknown[];
  purchases?: unknown[];
}

/** One non-fatal error of a 2xx: the object at `index` of `input_array` was not applied. */
export interface UsersTrackObjectError {
  type: string;
  input_array: 'attributes' | 'events' | 'purchases';
  index: number;
}

/** The body of a `/users/track` answer; on a 2xx, `errors` names the objects that were not applied. */
export interface UsersTrackResponse {
  message: string;
  attributes_processed?: number;
  errors?: (UsersTrackObjectError | { type: string; input_array?: string })[];
}

export const USERS_TRACK_PATH = '/users/track';

/** The permission a REST API key needs for this endpoint. */
export const USERS_TRACK_PERMISSION = 'users.track';

/** Attributes objects one request may carry (api_limits.md); more is rejected whole with 400. */
export const MAX_ATTRIBUTES_OBJECTS_PER_REQUEST = 75;

/** Longest custom attribute key or string value Braze keeps (255 characters); longer ones are truncated. */
export const MAX_ATTRIBUTE_STRING_LENGTH = 255;

/** Keys of an attributes object that identify the user or set the mode, not attributes. */
export const IDENTIFYING_KEYS: readonly string[] = [
  'external_id',
  'user_alias',
  'braze_id',
  'email',
  'phone',
  '_update_existing_only',
  'push_token_import',
];
