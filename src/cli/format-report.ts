import type { SyncReport } from '../sync/sync-report.js';

/** One line per sync run, for `run` output in scripts and logs. */
export function summaryLine(report: SyncReport): string {
  const skipped = report.skipped_null + report.skipped_duplicate + report.skipped_invalid;
  const counts = report.dry_run
    ? `would add ${report.to_add}, remove ${report.to_remove}`
    : `+${report.added} −${report.removed}${report.failed ? `, ${report.failed} failed` : ''}`;
  const detail = `rows ${report.query_rows}, skipped ${skipped}, cohort ${report.snapshot_size + report.added - report.removed}, requests ${report.requests}, retries ${report.retries}`;
  const left = report.to_add + report.to_remove - report.added - report.removed - report.failed;
  const limited =
    report.status === 'succeeded' && !report.dry_run && left > 0
      ? `\n  ${left} more change(s) left for the next run (--limit)`
      : '';
  const error = report.error ? `\n  ${report.error}` : limited;
  return `${report.sync}: ${report.status}${report.dry_run ? ' (dry run)' : ''}, ${counts} (${detail}) run ${report.run_id}${error}`;
}
