import type { SyncReport } from '../sync/sync-report.js';

/** What the last run that counted said about a sync. */
export type SyncHealth = 'ok' | 'failing' | 'aborted';

/**
 * The alert a finished run calls for, given the sync's health before it:
 * one when a sync starts failing or is aborted by a guardrail, one when it
 * recovers, none for a success after a success or for a repeat of the same
 * trouble. Skipped, interrupted and dry runs say nothing about the sync's health.
 */
export function alertFor(before: SyncHealth, report: SyncReport): { after: SyncHealth; text?: string } {
  const after = healthOf(report) ?? before;
  if (after === before) return { after };
  const run = `run ${report.run_id.slice(0, 8)}`;
  const sync = `sync "${report.sync}"`;
  const error = report.error ? `: ${oneLine(report.error)}` : '';
  switch (after) {
    case 'ok':
      return {
        after,
        text: `cohort-sync: ${sync} recovered (${run} succeeded, +${report.added} −${report.removed})`,
      };
    case 'aborted':
      return { after, text: `cohort-sync: ${sync} was aborted by a guardrail (${run})${error}` };
    case 'failing': {
      const what =
        report.status === 'partial'
          ? `partially failed (+${report.added} −${report.removed}, ${report.failed} failed)`
          : 'failed';
      return { after, text: `cohort-sync: ${sync} ${what} (${run})${error}` };
    }
  }
}

function healthOf(report: SyncReport): SyncHealth | undefined {
  if (report.dry_run) return undefined;
  switch (report.status) {
    case 'succeeded':
      return 'ok';
    case 'failed':
    case 'partial':
      return 'failing';
    case 'aborted':
      return 'aborted';
    default:
      return undefined;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}…` : flat;
}
