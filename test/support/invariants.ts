import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { cohortMembers } from './emulator.js';
import type { World } from './world.js';

interface KeyRow extends Record<string, unknown> {
  id_type: string;
  id: string;
  alias_label: string;
}

/** A member as `cohortMembers` names it: `external_id:u1`, `device_id:d1`, `alias:label:name`. */
export function memberKey(row: KeyRow): string {
  return row.id_type === 'alias' ? `alias:${row.alias_label}:${row.id}` : `${row.id_type}:${row.id}`;
}

/** The members the snapshot claims for a sync, sorted. */
export async function snapshotMembers(world: World, sync: string): Promise<string[]> {
  const rows = await world.query<KeyRow>(
    `SELECT id_type, id, alias_label FROM $state.cohort_snapshot WHERE sync_name = '${sync}'`,
  );
  return rows.map(memberKey).sort();
}

/**
 * Invariant 1 after a failure, stated so it can fail: wherever the snapshot and Braze disagree, an
 * unconfirmed change of one of `runIds` must explain it — a member the snapshot claims but Braze lacks
 * must have an unconfirmed removal (Braze applied it, the answer never came), and a member Braze holds
 * but the snapshot lacks an unconfirmed add. Anything else is a claim the next run would not repair.
 */
export async function unexplainedDifferences(
  world: World,
  braze: RunningEmulator,
  sync: string,
  cohortId: string,
  runIds: readonly string[],
): Promise<{ snapshotOnly: string[]; brazeOnly: string[] }> {
  const snapshot = new Set(await snapshotMembers(world, sync));
  const inBraze = new Set(cohortMembers(braze, cohortId));
  const pending = await world.query<KeyRow & { op: string }>(
    `SELECT op, id_type, id, alias_label FROM $state.sync_changes WHERE status <> 'sent' AND run_id IN (${runIds.map((id) => `'${id}'`).join(', ') || "''"})`,
  );
  const pendingOf = (op: string) => new Set(pending.filter((row) => row.op === op).map(memberKey));
  const removes = pendingOf('remove');
  const adds = pendingOf('add');
  return {
    snapshotOnly: [...snapshot].filter((key) => !inBraze.has(key) && !removes.has(key)),
    brazeOnly: [...inBraze].filter((key) => !snapshot.has(key) && !adds.has(key)),
  };
}
