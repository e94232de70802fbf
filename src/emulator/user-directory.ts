import type { UserAlias } from '../destinations/braze-cohort/wire-types.js';

/** A Braze user profile as the emulator knows it. */
export interface SeedUser {
  external_id?: string;
  device_ids?: string[];
  aliases?: UserAlias[];
}

/** Key of a user in cohort member sets. */
export type UserKey = string;

export type IdentifierKind = 'user_id' | 'device_id' | 'alias';

/**
 * The users of one emulated workspace. Braze never creates users through the
 * cohort API: identifiers of unknown users are ignored, and a device id only
 * matches an anonymous user. With `allUsersExist`, every identifier is its
 * own user (for benchmarks and quick demos).
 */
export class UserDirectory {
  private readonly users: SeedUser[] = [];
  private readonly byExternalId = new Map<string, number>();
  private readonly byDeviceId = new Map<string, number>();
  private readonly byAlias = new Map<string, number>();

  constructor(private readonly allUsersExist = false) {}

  get size(): number {
    return this.users.length;
  }

  /** Adds users, or merges into an existing profile that shares an identifier (an anonymous device becoming identified). */
  upsert(users: readonly SeedUser[]): void {
    for (const user of users) {
      const existing = this.find(user);
      const index = existing ?? this.users.push({ device_ids: [], aliases: [] }) - 1;
      const profile = this.users[index]!;
      if (user.external_id !== undefined) {
        profile.external_id = user.external_id;
        this.byExternalId.set(user.external_id, index);
      }
      for (const device of user.device_ids ?? []) {
        if (!profile.device_ids!.includes(device)) profile.device_ids!.push(device);
        this.byDeviceId.set(device, index);
      }
      for (const alias of user.aliases ?? []) {
        if (!profile.aliases!.some((a) => aliasKey(a) === aliasKey(alias))) profile.aliases!.push(alias);
        this.byAlias.set(aliasKey(alias), index);
      }
    }
  }

  /** The user an identifier belongs to, or undefined when Braze would ignore it. */
  resolve(kind: IdentifierKind, value: string | UserAlias): UserKey | undefined {
    if (kind === 'alias') {
      const key = aliasKey(value as UserAlias);
      const index = this.byAlias.get(key);
      if (index !== undefined) return `#${index}`;
      return this.allUsersExist ? `a:${key}` : undefined;
    }
    const id = value as string;
    if (kind === 'user_id') {
      const index = this.byExternalId.get(id);
      if (index !== undefined) return `#${index}`;
      return this.allUsersExist ? `u:${id}` : undefined;
    }
    const index = this.byDeviceId.get(id);
    if (index !== undefined) return this.users[index]!.external_id === undefined ? `#${index}` : undefined;
    return this.allUsersExist ? `d:${id}` : undefined;
  }

  /** The profile behind a member key, for reading cohorts back. */
  describe(key: UserKey): SeedUser {
    if (key.startsWith('#')) return this.users[Number(key.slice(1))]!;
    const value = key.slice(2);
    if (key.startsWith('u:')) return { external_id: value };
    if (key.startsWith('d:')) return { device_ids: [value] };
    const [label, ...name] = value.split('\u0000');
    return { aliases: [{ alias_label: label ?? '', alias_name: name.join('\u0000') }] };
  }

  private find(user: SeedUser): number | undefined {
    if (user.external_id !== undefined && this.byExternalId.has(user.external_id))
      return this.byExternalId.get(user.external_id);
    for (const device of user.device_ids ?? [])
      if (this.byDeviceId.has(device)) return this.byDeviceId.get(device);
    for (const alias of user.aliases ?? [])
      if (this.byAlias.has(aliasKey(alias))) return this.byAlias.get(aliasKey(alias));
    return undefined;
  }
}

function aliasKey(alias: UserAlias): string {
  return `${alias.alias_label}\u0000${alias.alias_name}`;
}
