import type { Command } from 'commander';
import { RunAudit } from '../../state/run-audit.js';
import type { SyncRunRow } from '../../state/state-database.js';
import { selectSyncs, withWarehouse } from '../../sync/run-syncs.js';
import { configOption, syncOption, toCount, type CliContext } from '../cli-context.js';
import { formatTable } from '../format-table.js';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('recent runs from sync_runs')
    .addOption(configOption())
    .addOption(syncOption())
    .option('-n, --limit <n>', 'runs to show', toCount, 20)
    .option('--json', 'machine-readable output')
    .action(async (opts: { config: string; sync: string[]; limit: number; json?: boolean }) => {
      const config = await ctx.load(opts.config);
      const syncs = opts.sync.length > 0 ? selectSyncs(config, opts.sync).map((s) => s.name) : undefined;
      const runs = await withWarehouse(config, (source) =>
        new RunAudit(source, config.state.schema).latest({ limit: opts.limit, syncs }),
      );
      ctx.out(opts.json ? `${JSON.stringify({ runs }, null, 2)}\n` : `${formatStatus(runs)}\n`);
    });
}

/** The latest runs as a table: status, when, how long, what changed, and the start of any error. */
export function formatStatus(runs: readonly SyncRunRow[]): string {
  if (runs.length === 0) return 'no runs recorded yet; start one with `cohort-sync run`';
  const rows = runs.map((run) => [
    run.sync_name,
    run.status + (run.dry_run ? ' (dry)' : ''),
    isoMinute(run.started_at),
    duration(run.started_at, run.finished_at),
    Number(run.added),
    Number(run.removed),
    Number(run.failed),
    (run.error ?? '').replace(/\s+/g, ' ').slice(0, 60),
  ]);
  return formatTable(
    ['SYNC', 'STATUS', 'STARTED (UTC)', 'DURATION', 'ADDED', 'REMOVED', 'FAILED', 'ERROR'],
    rows,
  );
}

function isoMinute(value: Date | string): string {
  return new Date(value).toISOString().slice(0, 19).replace('T', ' ');
}

function duration(started: Date | string, finished: Date | string | null): string {
  if (finished === null) return 'running';
  const ms = new Date(finished).getTime() - new Date(started).getTime();
  return ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;
}
