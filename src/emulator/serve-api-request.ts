import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorState, RequestRecord } from './emulator-state.js';
import type { Fault } from './faults.js';
import { rateLimitHeaders, type RateLimitState } from './rate-limit-windows.js';
import { readBody } from './read-body.js';
import { sendJson } from './send-json.js';

/** What a route answers, and what the history records of it. */
export interface Outcome {
  status: number;
  body: unknown;
  record: Omit<RequestRecord, 'seq' | 'at' | 'path' | 'status'>;
}

/** One Braze API route, as the shared request pipeline sees it. */
export interface ApiRoute {
  /** The budget the request counts against, and its key (a workspace, or one for the whole route). */
  budget: 'cohorts' | 'users_track';
  scope: string;
  /** Faults marked `membership_only` apply to it (everything but a cohort create). */
  membership: boolean;
  /** Answers a request that got past its rate limit and the injected faults; applies what it accepts. */
  answer(raw: Buffer): Outcome;
}

const NOTHING = { adds: 0, removes: 0, ignored: 0 };

/**
 * The pipeline of every API request, in this order: count it against its rate-limit window and set
 * the `X-RateLimit-*` headers (on every answer, as Braze does), add injected latency, turn it away
 * with a 429 past the budget, inject a failure, else let the route answer (a `drop_after_apply`
 * fault then cuts the connection after the route applied the request).
 */
export async function serveApiRequest(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  route: ApiRoute,
): Promise<void> {
  // How many requests a client keeps open at once, latency included: what a shared budget must bound.
  state.peakInFlight = Math.max(state.peakInFlight, ++state.inFlight);
  res.once('close', () => state.inFlight--);
  const now = state.clock();
  const window = state.faults.windows.count(
    `${route.budget}\u0000${route.scope}`,
    state.rateLimit(route.budget),
    now,
  );
  for (const [name, value] of Object.entries(rateLimitHeaders(window))) res.setHeader(name, value);
  const raw = await readBody(req);
  const { latencyMs, failure } = state.faults.next(route.membership, window.exceeded);
  if (latencyMs > 0) await sleep(latencyMs);
  const slowed = latencyMs > 0 ? { latency_ms: latencyMs } : {};

  if (window.exceeded) {
    res.setHeader('Retry-After', String(Math.max(1, window.resetEpochSeconds - Math.floor(now / 1000))));
    const fault = route.budget === 'cohorts' ? 'requests_per_hour' : 'requests_per_window';
    state.record({ path, status: 429, ...NOTHING, fault, ...slowed });
    return sendJson(res, 429, { message: 'API rate limit exceeded' });
  }
  if (failure && failure.kind !== 'drop_after_apply')
    return injectFailure(state, res, { path, window, now, failure, slowed });

  const { status, body, record } = route.answer(raw);
  if (failure?.kind === 'drop_after_apply' && status >= 200 && status < 300) {
    state.record({ path, status: 0, ...record, fault: 'drop_after_apply', ...slowed });
    req.socket.destroy();
    return;
  }
  state.record({ path, status, ...record, ...slowed });
  sendJson(res, status, body);
}

function injectFailure(
  state: EmulatorState,
  res: ServerResponse,
  at: { path: string; window: RateLimitState; now: number; failure: Fault; slowed: { latency_ms?: number } },
): void {
  const { path, failure, slowed } = at;
  if (failure.kind === 'drop') {
    state.record({ path, status: 0, ...NOTHING, fault: 'drop', ...slowed });
    res.socket?.destroy();
    return;
  }
  if (failure.kind === 'rate_limit') {
    if (!failure.resetOnly) res.setHeader('Retry-After', String(failure.retryAfterSeconds));
    res.setHeader('X-RateLimit-Remaining', '0');
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(at.now / 1000) + failure.retryAfterSeconds));
    state.record({ path, status: 429, ...NOTHING, fault: 'rate_limit', ...slowed });
    return sendJson(res, 429, { message: 'API rate limit exceeded' });
  }
  if (failure.kind === 'status') {
    const fault = `status_${failure.status}`;
    state.record({ path, status: failure.status, ...NOTHING, fault, ...slowed });
    return sendJson(res, failure.status, {
      message: STATUS_MESSAGES[failure.status] ?? 'Internal Server Error',
    });
  }
}

/** Messages of the statuses a fault can inject; Braze's own wording where it documents one. */
const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  423: 'Resource locked',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
