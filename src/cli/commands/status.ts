import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { runHistory } from '../../state/run-history.js';
import { selectSyncs, withWarehouse } from '../../sync/run-syncs.js';
import { configOption, syncOption, toCount, type CliContext } from '../cli-context.js';
import { formatStatus } from '../format-status.js';
import { STATUS_FORMAT_VERSION, toStatusRun, type StatusDocument } from '../status-document.js';

interface StatusOptions {
  config: string;
  sync: string[];
  limit: number;
  plans?: boolean;
  json?: boolean;
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('the latest run of each sync from sync_runs; --limit N for the last N runs of each')
    .addOption(configOption())
    .addOption(syncOption())
    .option('-n, --limit <n>', 'runs to show per sync', toCount, 1)
    .option('--plans', 'include dry runs (plan, run --dry-run)')
    .option('--json', 'machine-readable output (format documented in docs/cli.md)')
    .action(async (opts: StatusOptions) => {
      if (opts.limit < 1) throw new UsageError('--limit must be at least 1');
      const config = await ctx.load(opts.config);
      const syncs = selectSyncs(config, opts.sync).map((s) => s.name);
      const runs = await withWarehouse(config, (source) =>
        runHistory(source, config.state.schema, {
          syncs: opts.sync.length > 0 ? syncs : undefined,
          perSync: opts.limit,
          dryRuns: opts.plans,
        }),
      );
      const seen = new Set(runs.map((run) => run.sync_name));
      const document: StatusDocument = {
        format_version: STATUS_FORMAT_VERSION,
        runs: runs.map((run) => toStatusRun(run, ctx.redact)),
        never_run: syncs.filter((name) => !seen.has(name)).map(ctx.redact),
      };
      if (opts.json) ctx.outJson(document);
      else ctx.outFormatted(`${formatStatus(document)}\n`);
    });
}
