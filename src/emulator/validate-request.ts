import {
  MAX_IDENTIFIERS_PER_REQUEST,
  identifierCount,
  type CohortChange,
} from '../destinations/braze-cohort/wire-types.js';

/** The 400 messages Braze documents for the cohort endpoints, word for word. */
export const MESSAGES = {
  cohortId: 'cohort_id must be a valid string',
  cohortChanges:
    'cohort_changes must be an array of objects each with key user_ids and/or device_ids mapping to an array of strings, or an aliases object',
  tooMany: 'Only 1,000 user_ids, device_ids, and aliases are allowed per request',
  name: 'name must be a non-empty string',
  createdAt: 'created_at must be a valid time as an ISO-8601 string',
} as const;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** The 400 message for a create/rename body, or undefined when it is valid. */
export function validateUpsertCohort(body: Record<string, unknown>): string | undefined {
  if (!isNonEmptyString(body.cohort_id)) return MESSAGES.cohortId;
  if (!isNonEmptyString(body.name) || body.name.trim() === '') return MESSAGES.name;
  if (
    typeof body.created_at !== 'string' ||
    !ISO_8601.test(body.created_at) ||
    Number.isNaN(Date.parse(body.created_at))
  ) {
    return MESSAGES.createdAt;
  }
  return undefined;
}

/** The 400 message for a membership body, or undefined when it is valid. */
export function validateCohortUsers(body: Record<string, unknown>): string | undefined {
  if (!isNonEmptyString(body.cohort_id)) return MESSAGES.cohortId;
  const changes = body.cohort_changes;
  if (!Array.isArray(changes) || !changes.every(isValidChange)) return MESSAGES.cohortChanges;
  const total = (changes as CohortChange[]).reduce((sum, change) => sum + identifierCount(change), 0);
  if (total > MAX_IDENTIFIERS_PER_REQUEST) return MESSAGES.tooMany;
  return undefined;
}

function isValidChange(change: unknown): boolean {
  if (change === null || typeof change !== 'object' || Array.isArray(change)) return false;
  const entry = change as Record<string, unknown>;
  const hasAny = 'user_ids' in entry || 'device_ids' in entry || 'aliases' in entry;
  const stringsOk = (key: string) =>
    !(key in entry) || (Array.isArray(entry[key]) && (entry[key] as unknown[]).every(isNonEmptyString));
  const aliasesOk =
    !('aliases' in entry) ||
    (Array.isArray(entry.aliases) &&
      entry.aliases.every(
        (alias: unknown) =>
          alias !== null &&
          typeof alias === 'object' &&
          isNonEmptyString((alias as Record<string, unknown>).alias_name) &&
          isNonEmptyString((alias as Record<string, unknown>).alias_label),
      ));
  const removeOk = !('should_remove' in entry) || typeof entry.should_remove === 'boolean';
  return hasAny && stringsOk('user_ids') && stringsOk('device_ids') && aliasesOk && removeOk;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
