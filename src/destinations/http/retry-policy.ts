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
 * the policy's attempts or time run out. Between attempts it waits
 * {@link retryDelayMs}. An aborted `signal` stops waiting, not a request in flight.
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
      const delayMs = retryDelayMs(error, attemptNumber, policy, random);
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

/**
 * How long to wait after failed attempt number `attempt` (1 for the first): exponential backoff with
 * jitter, half of `baseDelayMs · 2^(attempt-1)` (at most `maxDelayMs`) plus a random part of the other
 * half, so never 0 ms. A 429 waits at least what Braze asked for (Retry-After, else X-RateLimit-Reset),
 * however long (`maxElapsedMs` decides whether that is worth it); any other error waits at least its
 * Retry-After, capped at `maxDelayMs`.
 */
export function retryDelayMs(
  error: BrazeApiError,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const backoff = Math.max(1, ceiling / 2 + (random() * ceiling) / 2);
  const asked = error.retryAfterMs;
  if (asked === undefined) return backoff;
  if (error.code === 'BRAZE_RATE_LIMITED') return Math.max(asked, backoff);
  return Math.max(Math.min(asked, policy.maxDelayMs), backoff);
}
