import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { RateLimiter } from 'limiter';
import pLimit from 'p-limit';
import type { Dispatcher } from 'undici';

/** How fast and how wide requests to one endpoint may go. */
export interface RequestLimits {
  /** Requests started per second, spaced evenly; unlimited when absent. */
  requestsPerSecond?: number;
  /** Requests in flight at once; unlimited when absent. */
  maxInFlight?: number;
}

/**
 * An undici interceptor that makes every request through a dispatcher wait
 * for a free in-flight slot, then for its turn under the rate. Every HTTP
 * attempt counts, retries included, so a sync that is being rate-limited by
 * Braze cannot starve the others by retrying faster. Waiting happens before
 * the request is sent, so it does not eat into the request's timeouts.
 */
export function limitRequests(limits: RequestLimits): Dispatcher.DispatcherComposeInterceptor {
  const rate =
    limits.requestsPerSecond === undefined
      ? undefined
      : new RateLimiter({ tokensPerInterval: 1, interval: 1000 / limits.requestsPerSecond });
  const slots = limits.maxInFlight === undefined ? undefined : pLimit(limits.maxInFlight);

  return (dispatch) => (options, handler) => {
    const send = () =>
      new Promise<void>((finished) => {
        const start = rate ? rate.removeTokens(1) : Promise.resolve(0);
        start
          .then(() => dispatch(options, new ReleasingHandler(handler, finished)))
          .catch((error: unknown) => {
            handler.onResponseError?.(UNSTARTED, error instanceof Error ? error : new Error(String(error)));
            finished();
          });
      });
    void (slots ? slots(send) : send());
    return true;
  };
}

/** Passes every callback through and says when the request is over, however it ended. */
class ReleasingHandler implements Dispatcher.DispatchHandler {
  private released = false;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly finished: () => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    this.release();
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.release();
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.release();
    this.inner.onResponseError?.(controller, error);
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.finished();
  }
}

/** The controller handed to a handler whose request never reached the dispatcher. */
const UNSTARTED: Dispatcher.DispatchController = {
  aborted: true,
  paused: false,
  reason: null,
  abort() {},
  pause() {},
  resume() {},
};
