/**
 * The same signal again this soon after the first is one request delivered twice, not a second press: a
 * wrapper that forwards signals (`npm run`, `timeout`) passes on the Ctrl-C the terminal already sent to
 * the whole process group. Treating it as "again, force" would skip the graceful stop the user asked for.
 */
export const REPEAT_WINDOW_MS = 1000;

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface StopSignalHandlers {
  /** The first SIGINT or SIGTERM: stop gracefully. */
  stop(signal: StopSignal): void;
  /** A signal that came later than {@link REPEAT_WINDOW_MS} after the first: stop now. */
  force(signal: StopSignal): void;
}

/** Listens for SIGINT and SIGTERM until the returned function is called. */
export function onStopSignals(handlers: StopSignalHandlers, now: () => number = Date.now): () => void {
  let first: number | undefined;
  const listener = (signal: StopSignal) => {
    if (first === undefined) {
      first = now();
      handlers.stop(signal);
    } else if (now() - first >= REPEAT_WINDOW_MS) {
      handlers.force(signal);
    }
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
