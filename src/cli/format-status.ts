import { formatTable } from './format-table.js';
import type { StatusDocument, StatusRun } from './status-document.js';

/** Longest error excerpt in the table; `status --json` and sync_runs have the whole text. */
const ERROR_EXCERPT = 70;

/** Runs as a table: status, when and how long ago, how long it took, what changed, the start of any error. */
export function formatStatus(document: StatusDocument, now = new Date()): string {
  if (document.runs.length === 0 && document.never_run.length === 0) return 'no syncs selected';
  const rows: (string | number)[][] = document.runs.map((run) => [
    run.sync_name,
    run.status + (run.dry_run ? ' (plan)' : ''),
    run.started_at.slice(0, 19).replace('T', ' '),
    age(new Date(run.started_at), now),
    duration(run),
    run.added,
    run.removed,
    run.failed,
    excerpt(run.error),
  ]);
  for (const sync of document.never_run) rows.push([sync, 'never run', '', '', '', '', '', '', '']);
  const table = formatTable(
    ['SYNC', 'STATUS', 'STARTED (UTC)', 'AGE', 'DURATION', 'ADDED', 'REMOVED', 'FAILED', 'ERROR'],
    rows,
  );
  const truncated = document.runs.some((run) => (run.error ?? '').length > ERROR_EXCERPT);
  return truncated ? `${table}\n(errors shortened; status --json or sync_runs.error has them whole)` : table;
}

function excerpt(error: string | null): string {
  const text = (error ?? '').replace(/\s+/g, ' ');
  return text.length > ERROR_EXCERPT ? `${text.slice(0, ERROR_EXCERPT - 1)}…` : text;
}

function duration(run: StatusRun): string {
  const ms = run.duration_ms;
  if (ms === null) return run.status === 'running' ? 'running' : '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function age(started: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - started.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}
