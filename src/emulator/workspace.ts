import {
  IDENTIFYING_KEYS,
  type AttributeValue,
  type AttributesObject,
} from '../destinations/braze-attribute/wire-types.js';
import type { CohortUsersRequest, UpsertCohortRequest } from '../destinations/braze-cohort/wire-types.js';
import { ProfileAttributes } from './profile-attributes.js';
import { UserDirectory, type SeedUser, type UserKey } from './user-directory.js';

/** A workspace REST API key and the permissions it was created with (Braze: `users.track`, …). */
export interface RestApiKey {
  key: string;
  /** Default `['users.track']`. */
  permissions?: string[];
}

/** One customer workspace of the emulator. */
export interface WorkspaceOptions {
  name?: string;
  /** The Data Import Key (`client_secret`) of the cohort endpoints; none: the workspace has no partner. */
  client_secret?: string;
  /** Partners enabled for the Data Import Key. */
  partners?: string[];
  /** REST API keys `/users/track` accepts as `Authorization: Bearer <key>`. */
  rest_api_keys?: RestApiKey[];
  users?: SeedUser[];
  /** Treat every identifier as an existing user (no directory needed). */
  all_users_exist?: boolean;
}

export interface EmulatedCohort {
  cohort_id: string;
  name: string;
  created_at: string;
  partner: string;
  members: Set<UserKey>;
}

/**
 * One Braze workspace (customer): its Data Import Key and the partners enabled for it, its REST API
 * keys and their permissions, its users (one profile each), their cohorts and custom attributes.
 */
export class Workspace {
  readonly clientSecret: string | undefined;
  readonly partners: ReadonlySet<string>;
  /** REST API key → its permissions. */
  readonly restApiKeys: ReadonlyMap<string, ReadonlySet<string>>;
  readonly directory: UserDirectory;
  readonly cohorts = new Map<string, EmulatedCohort>();
  /** Custom attributes per profile, as `/users/track` wrote them. */
  readonly attributes = new ProfileAttributes();
  /** Identifier and attribute writes, which Braze bills as data points. */
  dataPoints = 0;

  constructor(
    readonly name: string,
    options: WorkspaceOptions,
  ) {
    this.clientSecret = options.client_secret;
    this.partners = new Set(options.partners ?? []);
    this.restApiKeys = new Map(
      (options.rest_api_keys ?? []).map((k) => [k.key, new Set(k.permissions ?? ['users.track'])]),
    );
    this.directory = new UserDirectory(options.all_users_exist ?? false);
    this.directory.upsert(options.users ?? []);
  }

  upsertCohort(partner: string, body: UpsertCohortRequest): void {
    const existing = this.cohorts.get(body.cohort_id);
    if (existing) existing.name = body.name;
    else
      this.cohorts.set(body.cohort_id, {
        cohort_id: body.cohort_id,
        name: body.name,
        created_at: body.created_at,
        partner,
        members: new Set(),
      });
  }

  /**
   * Applies entries in order, each identifier to the one profile it names (an external id, an alias
   * and a device id of one user all add or remove that user); identifiers of unknown users and device
   * ids of identified users are ignored.
   */
  applyChanges(
    cohort: EmulatedCohort,
    body: CohortUsersRequest,
  ): { adds: number; removes: number; ignored: number } {
    const counts = { adds: 0, removes: 0, ignored: 0 };
    // Plain loops rather than a generator over every id: the emulator must keep up with a client sending
    // millions of ids (npm run bench), so its per-id cost stays a map lookup and a set update.
    for (const change of body.cohort_changes) {
      const remove = change.should_remove === true;
      for (const id of change.user_ids ?? [])
        this.apply(cohort, this.directory.resolve('user_id', id), remove, counts);
      for (const id of change.device_ids ?? [])
        this.apply(cohort, this.directory.resolve('device_id', id), remove, counts);
      for (const alias of change.aliases ?? [])
        this.apply(cohort, this.directory.resolve('alias', alias), remove, counts);
    }
    return counts;
  }

  /**
   * Writes the attributes of one valid attributes object on the profile it names. Update Only
   * (`_update_existing_only`; Braze's default is false for an external id, true for an alias) leaves
   * an unknown user alone; otherwise the user is created. Objects naming a user by `braze_id`, `email`
   * or `phone` are accepted and ignored: the emulator keeps no such identifiers.
   */
  trackAttributes(object: AttributesObject, arrayLimit: number): 'applied' | 'created' | 'ignored' {
    const only = object._update_existing_only;
    const named =
      object.external_id !== undefined
        ? { kind: 'user_id' as const, id: object.external_id, creates: only !== true }
        : object.user_alias !== undefined
          ? { kind: 'alias' as const, id: object.user_alias, creates: only === false }
          : undefined;
    if (!named) return 'ignored';
    let profile = this.directory.resolve(named.kind, named.id);
    const created = profile === undefined && named.creates;
    if (created) {
      this.directory.upsert([
        typeof named.id === 'string' ? { external_id: named.id } : { aliases: [named.id] },
      ]);
      profile = this.directory.resolve(named.kind, named.id);
    }
    if (profile === undefined) return 'ignored';
    for (const [name, value] of Object.entries(object)) {
      if (IDENTIFYING_KEYS.includes(name)) continue;
      this.attributes.write(profile, name, value as AttributeValue, arrayLimit);
      this.dataPoints++;
    }
    return created ? 'created' : 'applied';
  }

  private apply(
    cohort: EmulatedCohort,
    key: UserKey | undefined,
    remove: boolean,
    counts: { adds: number; removes: number; ignored: number },
  ): void {
    this.dataPoints++;
    if (key === undefined) counts.ignored++;
    else if (remove) {
      cohort.members.delete(key);
      counts.removes++;
    } else {
      cohort.members.add(key);
      counts.adds++;
    }
  }
}
