import type { Command } from 'commander';
import { runSyncs } from '../../sync/run-syncs.js';
import { configOption, syncOption, type CliContext } from '../cli-context.js';
import { exitCodeFor } from '../exit-codes.js';
import { summaryLine } from '../format-report.js';

interface RunOptions {
  config: string;
  sync: string[];
  dryRun?: boolean;
  allowMassRemoval?: boolean;
  quiet?: boolean;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('sync once: all syncs, or those named with --sync')
    .addOption(configOption())
    .addOption(syncOption())
    .option('--dry-run', 'compute and audit the changes without sending them')
    .option('--allow-mass-removal', 'override the guardrails for this run')
    .option('-q, --quiet', 'print only the summary line of each sync')
    .action(async (opts: RunOptions) => {
      const config = await ctx.load(opts.config);
      const stop = new AbortController();
      const onSignal = () => {
        ctx.io.err(
          'stopping: finishing requests in flight and saving what Braze confirmed (signal again to force)\n',
        );
        stop.abort();
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const reports = await runSyncs(config, {
          syncs: opts.sync,
          dryRun: opts.dryRun,
          allowMassRemoval: opts.allowMassRemoval,
          logger: ctx.logger(opts.quiet),
          signal: stop.signal,
        });
        ctx.out(reports.map((r) => `${summaryLine(r)}\n`).join(''));
        ctx.exitCode = exitCodeFor(reports);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
