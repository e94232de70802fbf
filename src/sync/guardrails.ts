import type { GuardrailsConfig } from '../config/types.js';

export interface GuardrailInput {
  queryRows: number;
  /** Distinct valid members the query returned. */
  members: number;
  /** Members the snapshot holds (what Braze has). */
  snapshotSize: number;
  toRemove: number;
}

/**
 * Invariant 5: checks that stop a run before anything is sent. Returns why
 * the run must stop, or undefined. `--allow-mass-removal` skips them all.
 */
export function guardrailViolation(input: GuardrailInput, guardrails: GuardrailsConfig): string | undefined {
  const { queryRows, members, snapshotSize, toRemove } = input;
  if (guardrails.min_rows !== undefined && queryRows < guardrails.min_rows) {
    return `the query returned ${queryRows} rows, fewer than guardrails.min_rows (${guardrails.min_rows})`;
  }
  if (members === 0 && snapshotSize > 0) {
    if (!guardrails.allow_empty_result) {
      return (
        `the query returned no members while the cohort holds ${snapshotSize}; ` +
        'set guardrails.allow_empty_result: true or pass --allow-mass-removal to empty the cohort'
      );
    }
    return undefined; // emptying was explicitly allowed: the removal ratio would always be 100 %
  }
  if (guardrails.max_removals !== undefined && toRemove > guardrails.max_removals) {
    return `the run would remove ${toRemove} members, more than guardrails.max_removals (${guardrails.max_removals})`;
  }
  if (snapshotSize > 0 && toRemove / snapshotSize > guardrails.max_removal_ratio) {
    const share = ((toRemove / snapshotSize) * 100).toFixed(1);
    return (
      `the run would remove ${toRemove} of ${snapshotSize} members (${share}%), more than ` +
      `guardrails.max_removal_ratio (${guardrails.max_removal_ratio * 100}%); pass --allow-mass-removal if this is intended`
    );
  }
  return undefined;
}
