import type { BrazeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { BrazeClient } from './braze-cohort/braze-cohort-client.js';
import { createBrazeClient } from './braze-cohort/create-braze-cohort-client.js';
import { EndpointPools } from './http/endpoint-pools.js';
import type { RequestLimits } from './http/limit-requests.js';

export interface BrazeClientsOptions {
  /** Cancels retry waits when the process is stopping. */
  signal?: AbortSignal;
  /** Limits for targets that set none: the daemon's defaults; `run` passes none (unlimited). */
  defaults?: RequestLimits;
}

/**
 * The Braze clients of one process, one per target, every client of one
 * endpoint sharing that endpoint's connection pool and request budget.
 */
export class BrazeClients {
  private readonly pools = new EndpointPools();

  constructor(
    private readonly targets: Readonly<Record<string, BrazeConfig>>,
    private readonly options: BrazeClientsOptions = {},
  ) {
    for (const target of Object.values(targets))
      this.pools.declare(target.rest_endpoint, limitsOf(target, options));
  }

  /**
   * A client for a target whose retry warnings go to `logger`. Clients are
   * cheap: the pool is the endpoint's, so one per run is fine.
   */
  clientFor(target: string, logger: Logger): BrazeClient {
    const braze = this.targets[target];
    if (!braze) throw new Error(`unknown Braze target "${target}"`);
    return createBrazeClient(braze, {
      logger,
      signal: this.options.signal,
      dispatcher: this.pools.dispatcherFor(braze.rest_endpoint),
    });
  }

  /** The limits in force for a target's endpoint. */
  limitsOf(target: string): RequestLimits | undefined {
    const braze = this.targets[target];
    return braze && this.pools.limitsOf(braze.rest_endpoint);
  }

  async close(): Promise<void> {
    await this.pools.close();
  }
}

function limitsOf(braze: BrazeConfig, options: BrazeClientsOptions): RequestLimits {
  return {
    requestsPerSecond: braze.requests_per_second ?? options.defaults?.requestsPerSecond,
    maxInFlight: braze.max_in_flight ?? options.defaults?.maxInFlight,
  };
}
