/** What a sync's progress line shows. */
export interface ProgressState {
  sync: string;
  /** Changes done (confirmed or failed) and the changes the run sends. */
  done: number;
  total: number;
  failed: number;
  retries: number;
  /** Changes per second since sending started. */
  rate: number;
  /** Seconds left at the current rate, when it can be told. */
  etaSeconds: number | undefined;
  /** True until the warehouse computed the changes: there is nothing to count yet. */
  diffing?: boolean;
  /** Set once the run finished: its status. */
  finished?: string;
  /** Seconds the run took, once finished. */
  elapsedSeconds?: number;
}

const WIDTH = 24;

/**
 * One line of the live progress display: bar, changes sent of total, rate,
 * ETA (or the outcome once finished), retries and failures. Pure, so the
 * terminal library only places it.
 */
export function formatProgress(state: ProgressState, syncWidth = state.sync.length): string {
  if (state.diffing) return `${state.sync.padEnd(syncWidth)} computing the changes in the warehouse…`;
  const share = state.total > 0 ? Math.min(1, state.done / state.total) : 1;
  const filled = Math.round(share * WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  const counts = `${state.done.toLocaleString('en-US')}/${state.total.toLocaleString('en-US')} changes`;
  const rate = `${Math.round(state.rate).toLocaleString('en-US')}/s`;
  const when = state.finished
    ? `${state.finished} in ${duration(state.elapsedSeconds ?? 0)}`
    : state.etaSeconds === undefined
      ? 'ETA –'
      : `ETA ${duration(state.etaSeconds)}`;
  const trouble = [
    state.retries > 0 ? `${state.retries} ${state.retries === 1 ? 'retry' : 'retries'}` : '',
    state.failed > 0 ? `${state.failed.toLocaleString('en-US')} failed` : '',
  ].filter(Boolean);
  return [`${state.sync.padEnd(syncWidth)} ${bar} ${percent}`, counts, rate, when, ...trouble].join(' | ');
}

function duration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 120) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
