import type { Source } from '../sources/source.js';
import { stateTables } from './state-database.js';
import { timestampValue } from './timestamp-value.js';

const DAY_MS = 86_400_000;

/**
 * Deletes sync_changes rows created more than `days` days before `now`, and
 * returns how many it deleted. sync_runs rows are kept: they are small and
 * the history of every run.
 */
export async function deleteOldChanges(
  source: Source,
  schema: string,
  days: number,
  now: Date = new Date(),
): Promise<number> {
  const db = stateTables(source.db, schema);
  const cutoff = timestampValue(source.capabilities, new Date(now.getTime() - days * DAY_MS));
  return source.transaction(async (tx) => {
    const [counted] = await tx.execute<{ rows: number | string }>(
      db
        .selectFrom('sync_changes')
        .select((eb) => eb.fn.countAll().as('rows'))
        .where('created_at', '<', cutoff)
        .compile(),
    );
    const rows = Number(counted?.rows ?? 0);
    if (rows > 0) await tx.execute(db.deleteFrom('sync_changes').where('created_at', '<', cutoff).compile());
    return rows;
  });
}
