import { setTimeout as sleep } from 'node:timers/promises';
import { BrazeApiError } from '../../errors.js';

/** When to try a failed request again. The one place retry decisions are made. */
export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Stop retrying once this much time was spent on one request. */
  maxElapsedMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  maxElapsedMs: 300_000,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
};

export interface RetryOutcome<T> {
  value: T;
  /** Attempts after the first. */
  retries: number;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or
 * the policy's attempts or time run out. Waits what Braze asked for
 * (Retry-After / X-RateLimit-Reset) when it asked, otherwise exponential
 * backoff with full jitter. An aborted `signal` stops waiting, not a request in flight.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  options: {
    signal?: AbortSignal;
    onRetry?: (error: BrazeApiError, delayMs: number) => void;
    random?: () => number;
  } = {},
): Promise<RetryOutcome<T>> {
  const started = Date.now();
  const random = options.random ?? Math.random;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return { value: await attempt(), retries: attemptNumber - 1 };
    } catch (error) {
      if (!(error instanceof BrazeApiError)) throw error;
      const delayMs =
        error.retryAfterMs ??
        random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attemptNumber - 1));
      const outOfTime = Date.now() - started + delayMs > policy.maxElapsedMs;
      if (!error.retryable || attemptNumber >= policy.maxAttempts || outOfTime || options.signal?.aborted) {
        throw error.afterRetries(attemptNumber - 1);
      }
      options.onRetry?.(error, delayMs);
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch {
        throw error.afterRetries(attemptNumber - 1);
      }
    }
  }
}
