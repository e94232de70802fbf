import { sql } from 'kysely';
import type { Source } from '../sources/source.js';
import { stateTables, type SyncRunRow } from './state-database.js';

export interface RunHistoryOptions {
  /** Only these syncs; all when empty or undefined. */
  syncs?: readonly string[];
  /** The newest this many runs of each sync. */
  perSync: number;
  /** Include dry runs (plans). Default false: status is about what reached Braze. */
  dryRuns?: boolean;
}

/**
 * The newest runs of each sync, newest first within a sync, syncs by name:
 * what `cohort-sync status` shows. One query: ROW_NUMBER() over each sync's
 * runs, which every supported warehouse has.
 */
export async function runHistory(
  source: Source,
  schema: string,
  options: RunHistoryOptions,
): Promise<SyncRunRow[]> {
  const db = stateTables(source.db, schema);
  let ranked = db
    .selectFrom('sync_runs')
    .selectAll()
    .select(
      sql<number>`ROW_NUMBER() OVER (PARTITION BY sync_name ORDER BY started_at DESC, run_id DESC)`.as(
        'position',
      ),
    );
  if (!options.dryRuns) ranked = ranked.where('dry_run', '=', false);
  if (options.syncs && options.syncs.length > 0) ranked = ranked.where('sync_name', 'in', options.syncs);
  const rows = await source.execute<SyncRunRow & { position: number } & Record<string, unknown>>(
    db
      .selectFrom(ranked.as('ranked'))
      .selectAll()
      .where('position', '<=', options.perSync)
      .orderBy('sync_name')
      .orderBy('position')
      .compile(),
  );
  return rows.map(({ position: _position, ...run }) => run);
}
