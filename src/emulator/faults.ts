/** A fault the emulator can inject into one request. */
export type Fault =
  | { kind: 'status'; status: number } // 5xx or 423, nothing applied
  // 429 with rate-limit headers, nothing applied; `resetOnly`: X-RateLimit-Reset without Retry-After,
  // which Braze documents as optional
  | { kind: 'rate_limit'; retryAfterSeconds: number; resetOnly?: boolean }
  | { kind: 'drop' } // connection destroyed before anything is applied
  | { kind: 'drop_after_apply' } // applied, then the connection is destroyed: the client never hears
  | { kind: 'latency'; ms: number };

/** Fault switches; probabilities are per request, drawn from a seeded generator so storms repeat. */
export interface FaultSettings {
  /** Faults for the next requests, in order, before any random ones. */
  script?: Fault[];
  /** Probability of a 5xx (status `server_error_status`, default 503). */
  server_error_rate?: number;
  server_error_status?: number;
  /** Probability of a 423 Resource locked. */
  locked_rate?: number;
  /** Probability of a 429; Retry-After is `retry_after_seconds` (default 1). */
  rate_limit_rate?: number;
  retry_after_seconds?: number;
  /** Probability of a dropped connection before the request is applied. */
  drop_rate?: number;
  /** Probability of a dropped connection after the request was applied. */
  drop_after_apply_rate?: number;
  /** Added to every request. */
  latency_ms?: number;
  /** Probability and size of an extra latency spike. */
  latency_spike_rate?: number;
  latency_spike_ms?: number;
  /** Requests allowed per window (Braze: 250,000 an hour); 429 beyond. */
  requests_per_hour?: number;
  /** Window length for `requests_per_hour`, for tests that cannot wait an hour. Default 3600. */
  rate_window_seconds?: number;
  /** Inject faults into membership requests only, letting cohort creates through. */
  membership_only?: boolean;
  /** Seed of the random generator. */
  seed?: number;
}

/** Decides the faults of each request from the current settings. */
export class FaultInjector {
  private settings: FaultSettings = {};
  private script: Fault[] = [];
  private random: () => number = mulberry32(1);
  private windowStart = 0;
  private windowCount = 0;
  injected = 0;

  configure(settings: FaultSettings): void {
    this.settings = { ...settings };
    this.script = [...(settings.script ?? [])];
    this.random = mulberry32(settings.seed ?? 1);
    // New settings start a new rate-limit window, so no count carries over from the previous ones.
    this.windowStart = 0;
    this.windowCount = 0;
  }

  current(): FaultSettings {
    return { ...this.settings, script: [...this.script] };
  }

  /** Faults for the next request: extra latency first, then at most one failure. */
  next(
    now: number,
    membership: boolean,
  ): { latencyMs: number; failure: Fault | undefined; rateLimit?: RateLimitState } {
    const s = this.settings;
    if (s.membership_only && !membership)
      return { latencyMs: 0, failure: undefined, rateLimit: this.countAgainstLimit(now) };
    let latencyMs = s.latency_ms ?? 0;
    if (s.latency_spike_rate && this.random() < s.latency_spike_rate) latencyMs += s.latency_spike_ms ?? 1000;

    const rateLimit = this.countAgainstLimit(now);
    if (rateLimit?.exceeded) return { latencyMs, failure: undefined, rateLimit };

    let failure = this.script.shift();
    if (failure?.kind === 'latency') {
      latencyMs += failure.ms;
      failure = undefined;
    }
    failure ??= this.randomFailure();
    if (failure) this.injected++;
    return { latencyMs, failure, rateLimit };
  }

  private randomFailure(): Fault | undefined {
    const s = this.settings;
    const roll = (rate: number | undefined) => rate !== undefined && rate > 0 && this.random() < rate;
    if (roll(s.server_error_rate)) return { kind: 'status', status: s.server_error_status ?? 503 };
    if (roll(s.locked_rate)) return { kind: 'status', status: 423 };
    if (roll(s.rate_limit_rate)) return { kind: 'rate_limit', retryAfterSeconds: s.retry_after_seconds ?? 1 };
    if (roll(s.drop_rate)) return { kind: 'drop' };
    if (roll(s.drop_after_apply_rate)) return { kind: 'drop_after_apply' };
    return undefined;
  }

  private countAgainstLimit(now: number): RateLimitState | undefined {
    const limit = this.settings.requests_per_hour;
    if (limit === undefined) return undefined;
    const windowMs = (this.settings.rate_window_seconds ?? 3600) * 1000;
    if (now - this.windowStart >= windowMs) {
      this.windowStart = now - (now % windowMs);
      this.windowCount = 0;
    }
    this.windowCount++;
    const resetEpochSeconds = Math.ceil((this.windowStart + windowMs) / 1000);
    return {
      limit,
      remaining: Math.max(0, limit - this.windowCount),
      resetEpochSeconds,
      exceeded: this.windowCount > limit,
    };
  }
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetEpochSeconds: number;
  exceeded: boolean;
}

/** A small seeded PRNG, so a fault storm is the same storm on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
