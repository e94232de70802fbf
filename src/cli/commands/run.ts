import type { Command } from 'commander';
import type { Config } from '../../config/types.js';
import { UsageError } from '../../errors.js';
import { SavedPlans } from '../../state/saved-plans.js';
import { TextLogger } from '../../log/logger.js';
import { runSyncs, selectSyncs, withWarehouse } from '../../sync/run-syncs.js';
import { configOption, syncOption, toCount, type CliContext } from '../cli-context.js';
import { crashTestHooks } from '../crash-test-hooks.js';
import { exitCodeFor } from '../exit-codes.js';
import { summaryLine } from '../format-report.js';
import { LiveProgress } from '../progress/live-progress.js';
import { onStopSignals } from '../stop-signals.js';

interface RunOptions {
  config: string;
  sync: string[];
  dryRun?: boolean;
  allowMassRemoval?: boolean;
  quiet?: boolean;
  limit?: number;
  planId?: string;
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
    .option('--limit <n>', 'send at most N changes per sync; the next run sends the rest', toCount)
    .option(
      '--plan-id <id>',
      'send exactly the plan saved by `plan --save`, if the snapshot has not moved since',
    )
    .action(async (opts: RunOptions) => {
      const config = await ctx.load(opts.config);
      const syncs = opts.planId ? await planSync(config, opts) : opts.sync;
      if (opts.limit === 0) throw new UsageError('--limit must be at least 1');
      const stop = new AbortController();
      const stopListening = onStopSignals({
        stop: () => {
          ctx.io.err(
            'stopping: finishing requests in flight and saving what Braze confirmed (signal again to force)\n',
          );
          stop.abort();
        },
        force: (signal) => process.exit(signal === 'SIGINT' ? 130 : 143),
      });
      const progress = liveProgress(
        opts,
        selectSyncs(config, syncs).map((sync) => sync.name),
      );
      try {
        const reports = await runSyncs(config, {
          syncs,
          dryRun: opts.dryRun,
          allowMassRemoval: opts.allowMassRemoval,
          limit: opts.limit,
          planId: opts.planId,
          logger: progress
            ? new TextLogger(ctx.redactor, {}, (line) => progress.log(line))
            : ctx.logger(opts.quiet),
          onEvent: progress?.onEvent,
          signal: stop.signal,
          hooks: crashTestHooks(),
        });
        progress?.stop();
        ctx.out(reports.map((r) => `${summaryLine(r)}\n`).join(''));
        ctx.exitCode = exitCodeFor(reports);
      } finally {
        progress?.stop();
        stopListening();
      }
    });
}

/** A live progress bar per sync on an interactive terminal; none for pipes, logs, CI, --quiet or --dry-run. */
function liveProgress(opts: RunOptions, syncs: string[]): LiveProgress | undefined {
  const interactive = process.stderr.isTTY && process.env.TERM !== 'dumb' && !process.env.CI;
  return interactive && !opts.quiet && !opts.dryRun ? new LiveProgress(process.stderr, syncs) : undefined;
}

/** The sync a saved plan belongs to; a plan id that names no plan, or flags that would change it, are usage errors. */
async function planSync(config: Config, opts: RunOptions): Promise<string[]> {
  const planId = opts.planId!;
  if (opts.limit !== undefined || opts.dryRun)
    throw new UsageError(
      '--plan-id sends exactly the saved plan; it cannot be combined with --limit or --dry-run',
    );
  const plan = await withWarehouse(config, (source) =>
    new SavedPlans(source, config.state.schema).find(planId),
  );
  if (!plan)
    throw new UsageError(
      `no plan ${planId} in ${config.state.schema}.sync_runs; make one with cohort-sync plan --save`,
    );
  if (!config.syncs.some((sync) => sync.name === plan.sync_name))
    throw new UsageError(
      `plan ${planId} is for sync "${plan.sync_name}", which ${config.file} does not define`,
    );
  if (opts.sync.length > 0 && !opts.sync.every((name) => name === plan.sync_name))
    throw new UsageError(
      `plan ${planId} is for sync "${plan.sync_name}"; drop --sync, the plan names its sync`,
    );
  return [plan.sync_name];
}
