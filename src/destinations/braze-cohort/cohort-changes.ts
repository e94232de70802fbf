import type { CohortChange } from './wire-types.js';

/** One change row as streamed from the changes stage table: op, id_type, id, alias_label, batch. */
export type ChangeRow = readonly unknown[];

/**
 * Builds the `cohort_changes` of one request: one entry for the adds and one
 * (with `should_remove`) for the removes, each with only the arrays it needs.
 */
export function toCohortChanges(rows: readonly ChangeRow[]): CohortChange[] {
  const adds = new EntryBuilder();
  const removes = new EntryBuilder();
  for (const [op, idType, id, aliasLabel] of rows) {
    (op === 'remove' ? removes : adds).add(idType as string, id as string, aliasLabel as string);
  }
  const changes: CohortChange[] = [];
  if (!adds.empty) changes.push(adds.build(false));
  if (!removes.empty) changes.push(removes.build(true));
  return changes;
}

class EntryBuilder {
  private readonly userIds: string[] = [];
  private readonly deviceIds: string[] = [];
  private readonly aliases: { alias_name: string; alias_label: string }[] = [];

  get empty(): boolean {
    return this.userIds.length + this.deviceIds.length + this.aliases.length === 0;
  }

  add(idType: string, id: string, aliasLabel: string): void {
    if (idType === 'external_id') this.userIds.push(id);
    else if (idType === 'device_id') this.deviceIds.push(id);
    else this.aliases.push({ alias_name: id, alias_label: aliasLabel });
  }

  build(remove: boolean): CohortChange {
    const change: CohortChange = {};
    if (this.userIds.length > 0) change.user_ids = this.userIds;
    if (this.deviceIds.length > 0) change.device_ids = this.deviceIds;
    if (this.aliases.length > 0) change.aliases = this.aliases;
    if (remove) change.should_remove = true;
    return change;
  }
}
