/** A request budget: so many requests per fixed window of so many seconds. */
export interface RateLimit {
  requests: number;
  window_seconds: number;
}

/** What Braze documents (api_limits.md, cohort_import.md): the budgets the emulator applies by default. */
export const BRAZE_RATE_LIMITS = {
  /** The partner cohort endpoints: 250,000 requests an hour. */
  cohorts: { requests: 250_000, window_seconds: 3600 },
  /** `/users/track`: 3,000 requests every three seconds, per workspace. */
  users_track: { requests: 3000, window_seconds: 3 },
} as const satisfies Record<string, RateLimit>;

/** Where a request stands in its window, as the `X-RateLimit-*` headers say it. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Epoch second at which the current window ends. */
  resetEpochSeconds: number;
  /** This request is past the budget: it gets a 429. */
  exceeded: boolean;
}

/**
 * Fixed rate-limit windows, aligned on multiples of their length since the epoch (an hourly window
 * ends on the hour), one per key. Every request counts, answered or turned away.
 */
export class RateLimitWindows {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Counts one request under `key` at `now` (epoch ms) against `limit`. */
  count(key: string, limit: RateLimit, now: number): RateLimitState {
    const windowMs = limit.window_seconds * 1000;
    let window = this.windows.get(key);
    if (!window || now - window.start >= windowMs || now < window.start) {
      window = { start: now - (now % windowMs), count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return {
      limit: limit.requests,
      remaining: Math.max(0, limit.requests - window.count),
      resetEpochSeconds: Math.ceil((window.start + windowMs) / 1000),
      exceeded: window.count > limit.requests,
    };
  }

  /** Forgets every window: the next request of each key opens a new one. */
  clear(): void {
    this.windows.clear();
  }
}

/** The three headers Braze sends on every response. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(state.resetEpochSeconds),
  };
}
