import type { MemberChange } from '../../diff/stage-tables.js';
import type { CohortChange } from './wire-types.js';

/**
 * Builds the `cohort_changes` of one request: one entry for the adds and one
 * (with `should_remove`) for the removes, each with only the arrays it needs.
 */
export function toCohortChanges(changes: readonly MemberChange[]): CohortChange[] {
  const adds = new EntryBuilder();
  const removes = new EntryBuilder();
  for (const change of changes) (change.op === 'remove' ? removes : adds).add(change);
  const entries: CohortChange[] = [];
  if (!adds.empty) entries.push(adds.build(false));
  if (!removes.empty) entries.push(removes.build(true));
  return entries;
}

class EntryBuilder {
  private readonly userIds: string[] = [];
  private readonly deviceIds: string[] = [];
  private readonly aliases: { alias_name: string; alias_label: string }[] = [];

  get empty(): boolean {
    return this.userIds.length + this.deviceIds.length + this.aliases.length === 0;
  }

  add({ id_type, id, alias_label }: MemberChange): void {
    if (id_type === 'external_id') this.userIds.push(id);
    else if (id_type === 'device_id') this.deviceIds.push(id);
    else this.aliases.push({ alias_name: id, alias_label });
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
