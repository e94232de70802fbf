import type { Command } from 'commander';
import { runSyncs, selectSyncs } from '../../sync/run-syncs.js';
import { configOption, syncOption, toCount, type CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';
import { formatPlan } from '../format-plan.js';
import { PLAN_FORMAT_VERSION, toSyncPlan, type PlanDocument } from '../plan-document.js';

interface PlanOptions {
  config: string;
  sync: string[];
  show: number;
  json?: boolean;
  save?: boolean;
  allowMassRemoval?: boolean;
}

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description(
      'dry run: show what a run would add and remove; nothing is sent, the snapshot is not touched',
    )
    .addOption(configOption())
    .addOption(syncOption())
    .option('--show <n>', 'print a sample of N ids of each kind (ids may be personal data)', toCount, 0)
    .option('--json', 'machine-readable output (format documented in docs/cli.md)')
    .option('--save', 'save the plan in sync_changes, to send exactly it later with run --plan-id')
    .option('--allow-mass-removal', 'plan as if guardrails were overridden')
    .action(async (opts: PlanOptions) => {
      const config = await ctx.load(opts.config);
      const syncs = selectSyncs(config, opts.sync);
      const reports = await runSyncs(config, {
        syncs: opts.sync,
        dryRun: true,
        sample: opts.show,
        savePlan: opts.save,
        allowMassRemoval: opts.allowMassRemoval,
        logger: ctx.logger(true),
      });
      const plans = reports.map((report, index) =>
        // A plan is saved exactly when the dry run succeeded: no guardrail stopped it, nothing failed.
        toSyncPlan(
          report,
          syncs[index]!,
          opts.save && report.status === 'succeeded' ? report.run_id : null,
          ctx.redact,
        ),
      );
      const document: PlanDocument = { format_version: PLAN_FORMAT_VERSION, syncs: plans };
      if (opts.json) ctx.outJson(document);
      else {
        ctx.outFormatted(`${plans.map(formatPlan).join('\n\n')}\n`);
        if (opts.save && plans.some((plan) => plan.verdict === 'guardrail'))
          ctx.out('\nplans a guardrail would stop are not saved; add --allow-mass-removal to save them\n');
      }
      ctx.exitCode = reports.some((r) => r.status === 'failed') ? EXIT.syncFailed : EXIT.ok;
    });
}
