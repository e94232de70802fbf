import {
  MAX_ATTRIBUTE_STRING_LENGTH,
  type AttributeValue,
} from '../destinations/braze-attribute/wire-types.js';
import type { UserKey } from './user-directory.js';

/** A custom attribute as a profile holds it. */
export type StoredAttribute = string | number | boolean | string[] | object;

/**
 * The custom attributes of every profile of a workspace, written as Braze writes them
 * (user_attributes_object.md): `null` removes an attribute; an array is a set whose added elements go
 * to the end (an element already there moves to the end) and, past the array length limit, the
 * oldest are dropped; `{add, remove}` changes elements without rewriting the array (adds first);
 * `{inc: n}` adds to a number; anything else is set as it is. Keys and strings longer than 255
 * characters are truncated (Braze's SDK analytics guide: "of 255 characters or longer will be truncated").
 */
export class ProfileAttributes {
  private readonly byProfile = new Map<UserKey, Map<string, StoredAttribute>>();

  /** Writes one attribute of one profile. The value was validated (validate-attributes.ts). */
  write(profile: UserKey, key: string, value: AttributeValue, arrayLimit: number): void {
    const name = truncate(key);
    let attributes = this.byProfile.get(profile);
    if (!attributes) this.byProfile.set(profile, (attributes = new Map<string, StoredAttribute>()));
    if (value === null) {
      attributes.delete(name);
      if (attributes.size === 0) this.byProfile.delete(profile);
      return;
    }
    const current = attributes.get(name);
    if (typeof value === 'string') attributes.set(name, truncate(value));
    else if (Array.isArray(value)) attributes.set(name, addAll([], value, arrayLimit));
    else if (typeof value === 'object' && ('add' in value || 'remove' in value)) {
      const elements = addAll(
        Array.isArray(current) ? [...(current as string[])] : [],
        value.add ?? [],
        arrayLimit,
      );
      const removed = new Set((value.remove ?? []).map(truncate));
      attributes.set(
        name,
        elements.filter((element) => !removed.has(element)),
      );
    } else if (typeof value === 'object' && 'inc' in value && typeof value.inc === 'number') {
      attributes.set(name, (typeof current === 'number' ? current : 0) + value.inc);
    } else attributes.set(name, value);
  }

  /** The attributes of one profile (empty when it has none). */
  of(profile: UserKey): Record<string, StoredAttribute> {
    return Object.fromEntries(this.byProfile.get(profile) ?? []);
  }

  /** Every profile that holds at least one attribute. */
  profiles(): UserKey[] {
    return [...this.byProfile.keys()];
  }

  clear(): void {
    this.byProfile.clear();
  }
}

function addAll(elements: string[], added: readonly string[], limit: number): string[] {
  for (const element of added.map(truncate)) {
    const at = elements.indexOf(element);
    if (at >= 0) elements.splice(at, 1);
    elements.push(element);
  }
  return elements.length > limit ? elements.slice(elements.length - limit) : elements;
}

function truncate(text: string): string {
  return text.length > MAX_ATTRIBUTE_STRING_LENGTH ? text.slice(0, MAX_ATTRIBUTE_STRING_LENGTH) : text;
}
