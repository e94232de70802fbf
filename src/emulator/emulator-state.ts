import { FaultInjector, type FaultSettings } from './faults.js';
import { BRAZE_RATE_LIMITS, type RateLimit } from './rate-limit-windows.js';
import { Workspace, type WorkspaceOptions } from './workspace.js';

export type { RestApiKey, WorkspaceOptions } from './workspace.js';

export interface EmulatorOptions {
  /** Integration partners: the /partners/{name}/ path name and its partner API key. */
  partners: { name: string; api_key: string }[];
  /** Customer workspaces: their keys, the partners enabled for them, their users. */
  workspaces: WorkspaceOptions[];
  faults?: FaultSettings;
  /** The budgets of each endpoint; default Braze's documented ones (BRAZE_RATE_LIMITS). */
  rate_limits?: { cohorts?: RateLimit; users_track?: RateLimit };
  users_track?: {
    /** Attributes objects allowed in one request; default 75. More is a 400. */
    max_objects_per_request?: number;
    /** Elements an array attribute keeps; adding past it drops the oldest. Default 25 (Braze's documented default). */
    array_length_limit?: number;
  };
  /** Requests kept in the history; default 10,000. */
  history_limit?: number;
  /** The emulator's clock (epoch milliseconds) for rate-limit windows; default `Date.now`. */
  clock?: () => number;
}

export interface RequestRecord {
  seq: number;
  at: string;
  path: string;
  status: number;
  workspace?: string;
  cohort_id?: string;
  /** Identifiers in the request, by direction (cohort membership requests). */
  adds: number;
  removes: number;
  /**
   * Identifiers that matched no user (or an identified user's device); for `/users/track`, objects
   * naming a user the emulator does not know, left alone in Update Only mode.
   */
  ignored: number;
  /** `/users/track`: objects applied to a profile, profiles created, objects refused in `errors`. */
  applied?: number;
  created?: number;
  rejected?: number;
  fault?: string;
  /** Latency the emulator added before answering, when it added any. */
  latency_ms?: number;
}

/** All the emulator knows: partners, workspaces, faults, the request history. */
export class EmulatorState {
  readonly partners: Map<string, string>;
  readonly workspaces: Workspace[];
  readonly faults = new FaultInjector();
  readonly history: RequestRecord[] = [];
  /** API requests being answered now, and the most at once since the start (or the last reset). */
  inFlight = 0;
  peakInFlight = 0;
  /**
   * Time as the rate-limit windows see it. A test may replace it with a clock it controls, so that
   * which request meets a ceiling does not depend on how loaded the machine is.
   */
  clock: () => number;
  private seq = 0;

  constructor(readonly options: EmulatorOptions) {
    this.partners = new Map(options.partners.map((p) => [p.name, p.api_key]));
    this.workspaces = options.workspaces.map(
      (w, index) => new Workspace(w.name ?? (index === 0 ? 'default' : `workspace${index}`), w),
    );
    this.faults.configure(options.faults ?? {});
    this.clock = options.clock ?? Date.now;
  }

  workspace(name: string | null): Workspace | undefined {
    return name === null ? this.workspaces[0] : this.workspaces.find((w) => w.name === name);
  }

  /** The budget `route` runs under now: a fault setting's, else the configured one, else Braze's. */
  rateLimit(route: 'cohorts' | 'users_track'): RateLimit {
    return this.faults.rateLimit(route, this.options.rate_limits?.[route] ?? BRAZE_RATE_LIMITS[route]);
  }

  record(entry: Omit<RequestRecord, 'seq' | 'at'>): void {
    this.history.push({ seq: ++this.seq, at: new Date().toISOString(), ...entry });
    const limit = this.options.history_limit ?? 10_000;
    if (this.history.length > limit) this.history.splice(0, this.history.length - limit);
  }
}
