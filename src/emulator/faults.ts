import type { UserAlias } from '../destinations/braze-cohort/wire-types.js';
import { RateLimitWindows, type RateLimit } from './rate-limit-windows.js';

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
  /**
   * Requests allowed per window on the cohort endpoints, replacing the emulator's own budget
   * (Braze's 250,000 an hour unless `rate_limits.cohorts` says otherwise); 429 beyond.
   */
  requests_per_hour?: number;
  /** Window length for `requests_per_hour`, for tests that cannot wait an hour. Default 3600. */
  rate_window_seconds?: number;
  /** Requests allowed per window on `/users/track`, replacing the emulator's own budget (3,000). */
  users_track_requests_per_window?: number;
  /** Window length for `users_track_requests_per_window`. Default 3. */
  users_track_window_seconds?: number;
  /**
   * Identifiers the emulator refuses, as Braze refuses an identifier it cannot accept: a cohort
   * membership request carrying one is rejected whole with a 400, a `/users/track` object naming one
   * gets an entry in the response's `errors` (the other objects are applied).
   */
  reject_identifiers?: RejectedIdentifiers;
  /** Inject faults into membership requests only (and `/users/track`), letting cohort creates through. */
  membership_only?: boolean;
  /** Seed of the random generator. */
  seed?: number;
}

/** Identifiers to refuse, in the shape of a `cohort_changes` entry. */
export interface RejectedIdentifiers {
  user_ids?: string[];
  device_ids?: string[];
  aliases?: UserAlias[];
}

/** The endpoints whose budgets a fault setting can replace. */
export type RateLimitedRoute = 'cohorts' | 'users_track';

/** Decides the faults of each request from the current settings. */
export class FaultInjector {
  private settings: FaultSettings = {};
  private script: Fault[] = [];
  private random: () => number = mulberry32(1);
  private rejected = new Set<string>();
  /** The rate-limit windows of every endpoint; new settings start new windows. */
  readonly windows = new RateLimitWindows();
  injected = 0;

  configure(settings: FaultSettings): void {
    this.settings = { ...settings };
    this.script = [...(settings.script ?? [])];
    this.random = mulberry32(settings.seed ?? 1);
    const refuse = settings.reject_identifiers ?? {};
    this.rejected = new Set([
      ...(refuse.user_ids ?? []).map((id) => identifierKey('user_id', id)),
      ...(refuse.device_ids ?? []).map((id) => identifierKey('device_id', id)),
      ...(refuse.aliases ?? []).map((alias) => identifierKey('alias', alias)),
    ]);
    // New settings start new rate-limit windows, so no count carries over from the previous ones.
    this.windows.clear();
  }

  /** Whether the settings say to refuse this identifier. */
  rejects(kind: 'user_id' | 'device_id' | 'alias', value: string | UserAlias): boolean {
    return this.rejected.size > 0 && this.rejected.has(identifierKey(kind, value));
  }

  /** The budget of `route`: the one these settings name, else the emulator's own. */
  rateLimit(route: RateLimitedRoute, own: RateLimit): RateLimit {
    const s = this.settings;
    if (route === 'cohorts' && s.requests_per_hour !== undefined)
      return { requests: s.requests_per_hour, window_seconds: s.rate_window_seconds ?? 3600 };
    if (route === 'users_track' && s.users_track_requests_per_window !== undefined)
      return {
        requests: s.users_track_requests_per_window,
        window_seconds: s.users_track_window_seconds ?? 3,
      };
    return own;
  }

  current(): FaultSettings {
    return { ...this.settings, script: [...this.script] };
  }

  /**
   * Faults for the next request: extra latency first, then at most one failure (none for a request
   * already turned away by its rate limit, which consumes no scripted fault).
   */
  next(membership: boolean, rateLimited: boolean): { latencyMs: number; failure: Fault | undefined } {
    const s = this.settings;
    if (s.membership_only && !membership) return { latencyMs: 0, failure: undefined };
    let latencyMs = s.latency_ms ?? 0;
    if (s.latency_spike_rate && this.random() < s.latency_spike_rate) latencyMs += s.latency_spike_ms ?? 1000;
    if (rateLimited) return { latencyMs, failure: undefined };

    let failure = this.script.shift();
    if (failure?.kind === 'latency') {
      latencyMs += failure.ms;
      failure = undefined;
    }
    failure ??= this.randomFailure();
    if (failure) this.injected++;
    return { latencyMs, failure };
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
}

function identifierKey(kind: string, value: string | UserAlias): string {
  return typeof value === 'string'
    ? `${kind}\u0000${value}`
    : `${kind}\u0000${value.alias_label}\u0000${value.alias_name}`;
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
