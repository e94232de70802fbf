import { Agent, type Dispatcher } from 'undici';
import { limitRequests, type RequestLimits } from './limit-requests.js';

/**
 * One connection pool and one request budget per Braze endpoint, shared by
 * every client in the process that sends to it: ten syncs running at once
 * share one rate, they do not multiply it. When several targets name the
 * same endpoint, the strictest limits win.
 */
export class EndpointPools {
  private readonly pools = new Map<string, { limits: RequestLimits; dispatcher?: Dispatcher }>();

  /** Declares an endpoint and its limits; call for every target before the first {@link dispatcherFor}. */
  declare(endpoint: string, limits: RequestLimits): void {
    const known = this.pools.get(endpoint);
    if (known?.dispatcher) throw new Error(`endpoint ${endpoint} is already in use; declare it first`);
    this.pools.set(endpoint, { limits: known ? strictest(known.limits, limits) : limits });
  }

  /** The shared dispatcher of a declared endpoint, created on first use. */
  dispatcherFor(endpoint: string): Dispatcher {
    const pool = this.pools.get(endpoint);
    if (!pool) throw new Error(`endpoint ${endpoint} was not declared`);
    if (!pool.dispatcher) {
      const agent = new Agent({ keepAliveTimeout: 30_000, connections: pool.limits.maxInFlight ?? 64 });
      const limited = pool.limits.requestsPerSecond !== undefined || pool.limits.maxInFlight !== undefined;
      pool.dispatcher = limited ? agent.compose(limitRequests(pool.limits)) : agent;
    }
    return pool.dispatcher;
  }

  /** The limits in force for an endpoint. */
  limitsOf(endpoint: string): RequestLimits | undefined {
    return this.pools.get(endpoint)?.limits;
  }

  /** Closes every pool, letting requests in flight finish. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map(async (pool) => pool.dispatcher?.close()));
  }
}

function strictest(a: RequestLimits, b: RequestLimits): RequestLimits {
  const min = (x: number | undefined, y: number | undefined) =>
    x === undefined ? y : y === undefined ? x : Math.min(x, y);
  return {
    requestsPerSecond: min(a.requestsPerSecond, b.requestsPerSecond),
    maxInFlight: min(a.maxInFlight, b.maxInFlight),
  };
}
