let busy = 0;
let timer: NodeJS.Timeout | undefined;

/**
 * Holds the event loop open while snowflake-sdk works. The SDK waits between its retries on unref'd
 * timers, so a process with nothing else to wait for (a CLI run whose login or statement is being
 * retried) would otherwise end in the middle, silently, with exit code 0.
 */
export async function keepingProcessAlive<T>(work: () => Promise<T>): Promise<T> {
  if (busy++ === 0) timer = setInterval(() => undefined, 60_000);
  try {
    return await work();
  } finally {
    if (--busy === 0) clearInterval(timer);
  }
}
