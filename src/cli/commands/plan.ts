import type { Command } from 'commander';
import { MAX_IDS_PER_REQUEST } from '../../diff/change-statements.js';
import type { SyncReport } from '../../sync/run-sync.js';
import { runSyncs } from '../../sync/run-syncs.js';
import { configOption, syncOption, toCount, type CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';

interface PlanOptions {
  config: string;
  sync: string[];
  show: number;
  json?: boolean;
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
    .option('--json', 'machine-readable output')
    .option('--allow-mass-removal', 'plan as if guardrails were overridden')
    .action(async (opts: PlanOptions) => {
      const config = await ctx.load(opts.config);
      const reports = await runSyncs(config, {
        syncs: opts.sync,
        dryRun: true,
        sample: opts.show,
        allowMassRemoval: opts.allowMassRemoval,
        logger: ctx.logger(true),
      });
      ctx.out(
        opts.json
          ? `${JSON.stringify({ syncs: reports }, null, 2)}\n`
          : `${reports.map(formatPlan).join('\n\n')}\n`,
      );
      ctx.exitCode = reports.some((r) => r.status === 'failed') ? EXIT.syncFailed : EXIT.ok;
    });
}

/** The plan of one sync in words: what a run would do, and whether a guardrail would stop it. */
export function formatPlan(report: SyncReport): string {
  const changes = report.to_add + report.to_remove;
  const requests = Math.ceil(changes / MAX_IDS_PER_REQUEST);
  const lines = [
    `sync ${report.sync}`,
    `  query rows        ${report.query_rows}`,
    `  skipped           ${report.skipped_null} with no identifier, ${report.skipped_duplicate} duplicate, ${report.skipped_invalid} invalid`,
  ];
  if (report.skip_reasons) lines.push(`                    invalid: ${report.skip_reasons}`);
  lines.push(
    `  members           ${report.members} (cohort holds ${report.snapshot_size} now)`,
    `  to add            ${report.to_add}`,
    `  to remove         ${report.to_remove}`,
    `  cohort after run  ${report.snapshot_size + report.to_add - report.to_remove}`,
    `  Braze requests    ${requests} membership request(s), ${changes} data point(s)`,
  );
  if (report.status === 'aborted')
    lines.push(`  GUARDRAIL         a run would stop: ${report.error?.replace(/^guardrail: /, '')}`);
  else if (report.status === 'failed') lines.push(`  ERROR             ${report.error}`);
  for (const [label, ids] of [
    ['sample adds', report.samples?.add],
    ['sample removes', report.samples?.remove],
  ] as const) {
    if (ids && ids.length > 0)
      lines.push(
        `  ${label.padEnd(18)}${ids.map((m) => (m.id_type === 'alias' ? `alias:${m.alias_label}:${m.id}` : `${m.id_type}:${m.id}`)).join(', ')}`,
      );
  }
  return lines.join('\n');
}
