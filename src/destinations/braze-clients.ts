import type { BrazeConfig, SyncConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { BrazeClient } from './braze-cohort/braze-cohort-client.js';
import { CohortDestination } from './braze-cohort/cohort-destination.js';
import { createBrazeClient } from './braze-cohort/create-braze-cohort-client.js';
import type { Destination } from './destination.js';
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
    const braze = this.target(target);
    return createBrazeClient(braze, {
      logger,
      signal: this.options.signal,
      dispatcher: this.pools.dispatcherFor(braze.rest_endpoint),
    });
  }

  /**
   * The destination a run of `sync` delivers through, on the sync's target: the one place that picks a
   * destination for a sync. Its client's retry warnings go to `logger`.
   */
  destinationFor(sync: SyncConfig, logger: Logger): Destination {
    const client = this.clientFor(sync.braze_target, logger);
    const target = { id: sync.cohort_id, name: sync.cohort_name };
    return new CohortDestination(client, target, this.target(sync.braze_target).concurrency);
  }

  /** The limits in force for a target's endpoint. */
  limitsOf(target: string): RequestLimits | undefined {
    const braze = this.targets[target];
    return braze && this.pools.limitsOf(braze.rest_endpoint);
  }

  async close(): Promise<void> {
    await this.pools.close();
  }

  private target(name: string): BrazeConfig {
    const braze = this.targets[name];
    if (!braze) throw new Error(`unknown Braze target "${name}"`);
    return braze;
  }
}

function limitsOf(braze: BrazeConfig, options: BrazeClientsOptions): RequestLimits {
  return {
    requestsPerSecond: braze.requests_per_second ?? options.defaults?.requestsPerSecond,
    maxInFlight: braze.max_in_flight ?? options.defaults?.maxInFlight,
  };
}
