import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CohortUsersRequest, UpsertCohortRequest } from '../destinations/braze-cohort/wire-types.js';
import { FaultInjector, type Fault, type FaultSettings, type RateLimitState } from './faults.js';
import type { SeedUser } from './user-directory.js';
import { validateCohortUsers, validateUpsertCohort } from './validate-request.js';
import { Workspace } from './workspace.js';

export interface EmulatorOptions {
  /** Integration partners: the /partners/{name}/ path name and its partner API key. */
  partners: { name: string; api_key: string }[];
  /** Customer workspaces: a Data Import Key (client_secret), the partners enabled for it, its users. */
  workspaces: {
    name?: string;
    client_secret: string;
    partners: string[];
    users?: SeedUser[];
    /** Treat every identifier as an existing user (no directory needed). */
    all_users_exist?: boolean;
  }[];
  faults?: FaultSettings;
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
  /** Identifiers in the request, by direction. */
  adds: number;
  removes: number;
  /** Identifiers that matched no user (or an identified user's device). */
  ignored: number;
  fault?: string;
  /** Latency the emulator added before answering, when it added any. */
  latency_ms?: number;
}

export interface RunningEmulator {
  url: string;
  state: EmulatorState;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

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
   * which request meets the requests-per-hour ceiling does not depend on how loaded the machine is.
   */
  clock: () => number;
  private seq = 0;

  constructor(private readonly options: EmulatorOptions) {
    this.partners = new Map(options.partners.map((p) => [p.name, p.api_key]));
    this.workspaces = options.workspaces.map(
      (w, index) =>
        new Workspace(
          w.name ?? (index === 0 ? 'default' : `workspace${index}`),
          w.client_secret,
          new Set(w.partners),
          w.all_users_exist ?? false,
          w.users,
        ),
    );
    this.faults.configure(options.faults ?? {});
    this.clock = options.clock ?? Date.now;
  }

  workspace(name: string | null): Workspace | undefined {
    return name === null ? this.workspaces[0] : this.workspaces.find((w) => w.name === name);
  }

  record(entry: Omit<RequestRecord, 'seq' | 'at'>): void {
    this.history.push({ seq: ++this.seq, at: new Date().toISOString(), ...entry });
    const limit = this.options.history_limit ?? 10_000;
    if (this.history.length > limit) this.history.splice(0, this.history.length - limit);
  }
}

/**
 * A local Braze cohort import API, faithful to ../shared/braze-cohort-api.md:
 * auth checked first (partner key → client secret → partner enabled), then
 * the documented 400s, then entries applied in order. Admin routes under
 * /_emulator/ read cohorts and history and set faults.
 */
export async function startEmulator(
  options: EmulatorOptions,
  listen: { port?: number; host?: string } = {},
): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const server = createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { message: `emulator error: ${(error as Error).message}` });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, state, close: () => closeServer(server) };
}

async function handle(state: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (url.pathname.startsWith('/_emulator/')) return handleAdmin(state, req, res, url);
  const route = /^\/partners\/([^/]+)\/cohorts(\/users)?$/.exec(url.pathname);
  if (!route || req.method !== 'POST') return send(res, 404, { message: 'Not Found' });
  // How many requests a client keeps open at once, latency included: what a shared budget must bound.
  state.peakInFlight = Math.max(state.peakInFlight, ++state.inFlight);
  res.once('close', () => state.inFlight--);

  const partner = decodeURIComponent(route[1]!);
  const usersRoute = route[2] !== undefined;
  const raw = await readBody(req);
  const { latencyMs, failure, rateLimit } = state.faults.next(state.clock(), usersRoute);
  if (latencyMs > 0) await sleep(latencyMs);
  if (rateLimit) setRateLimitHeaders(res, rateLimit);
  const path = url.pathname;
  const slowed = latencyMs > 0 ? { latency_ms: latencyMs } : {};
  if (rateLimit?.exceeded) {
    res.setHeader(
      'Retry-After',
      String(Math.max(1, rateLimit.resetEpochSeconds - Math.floor(state.clock() / 1000))),
    );
    state.record({
      path,
      status: 429,
      adds: 0,
      removes: 0,
      ignored: 0,
      fault: 'requests_per_hour',
      ...slowed,
    });
    return send(res, 429, { message: 'API rate limit exceeded' });
  }
  if (failure && failure.kind !== 'drop_after_apply') return injectFailure(state, res, path, failure, slowed);

  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
  } catch {
    state.record({ path, status: 400, adds: 0, removes: 0, ignored: 0 });
    return send(res, 400, { message: 'Invalid JSON in request body' });
  }

  const auth = authenticate(state, partner, body);
  if (typeof auth === 'string') {
    state.record({ path, status: 401, adds: 0, removes: 0, ignored: 0 });
    return send(res, 401, { message: auth });
  }
  const invalid = usersRoute ? validateCohortUsers(body) : validateUpsertCohort(body);
  if (invalid) {
    state.record({ path, status: 400, workspace: auth.name, adds: 0, removes: 0, ignored: 0 });
    return send(res, 400, { message: invalid });
  }

  let record: Omit<RequestRecord, 'seq' | 'at' | 'path' | 'status'>;
  if (usersRoute) {
    const request = body as unknown as CohortUsersRequest;
    const cohort = auth.cohorts.get(request.cohort_id);
    if (!cohort) {
      // Not documented by Braze; the emulator's choice: membership writes need the cohort created first.
      state.record({
        path,
        status: 404,
        workspace: auth.name,
        cohort_id: request.cohort_id,
        adds: 0,
        removes: 0,
        ignored: 0,
      });
      return send(res, 404, {
        message: `Cohort ${request.cohort_id} not found; create it with POST ${path.replace(/\/users$/, '')} first`,
      });
    }
    const applied = auth.applyChanges(cohort, request);
    record = { workspace: auth.name, cohort_id: request.cohort_id, ...applied };
  } else {
    const request = body as unknown as UpsertCohortRequest;
    auth.upsertCohort(partner, request);
    record = { workspace: auth.name, cohort_id: request.cohort_id, adds: 0, removes: 0, ignored: 0 };
  }
  if (failure?.kind === 'drop_after_apply') {
    state.record({ path, status: 0, ...record, fault: 'drop_after_apply', ...slowed });
    req.socket.destroy();
    return;
  }
  state.record({ path, status: 201, ...record, ...slowed });
  send(res, 201, { message: 'success' });
}

/** Checks, in Braze's order: the partner key for this partner, the client secret, the partner enabled for it. */
function authenticate(
  state: EmulatorState,
  partner: string,
  body: Record<string, unknown>,
): Workspace | string {
  const partnerKey = state.partners.get(partner);
  if (partnerKey === undefined || body.partner_api_key !== partnerKey) return 'Invalid Partner API key';
  const workspace = state.workspaces.find((w) => w.clientSecret === body.client_secret);
  if (!workspace) return 'Invalid client secret';
  if (!workspace.partners.has(partner))
    return `Partner not enabled for client with client secret: ${workspace.clientSecret}`;
  return workspace;
}

function injectFailure(
  state: EmulatorState,
  res: ServerResponse,
  path: string,
  failure: Fault,
  slowed: { latency_ms?: number },
): void {
  if (failure.kind === 'drop') {
    state.record({ path, status: 0, adds: 0, removes: 0, ignored: 0, fault: 'drop', ...slowed });
    res.socket?.destroy();
    return;
  }
  if (failure.kind === 'rate_limit') {
    const reset = Math.ceil(Date.now() / 1000) + failure.retryAfterSeconds;
    if (!failure.resetOnly) res.setHeader('Retry-After', String(failure.retryAfterSeconds));
    res.setHeader('X-RateLimit-Limit', '250000');
    res.setHeader('X-RateLimit-Remaining', '0');
    res.setHeader('X-RateLimit-Reset', String(reset));
    state.record({ path, status: 429, adds: 0, removes: 0, ignored: 0, fault: 'rate_limit', ...slowed });
    return send(res, 429, { message: 'API rate limit exceeded' });
  }
  if (failure.kind === 'status') {
    state.record({
      path,
      status: failure.status,
      adds: 0,
      removes: 0,
      ignored: 0,
      fault: `status_${failure.status}`,
      ...slowed,
    });
    return send(res, failure.status, { message: STATUS_MESSAGES[failure.status] ?? 'Internal Server Error' });
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

function setRateLimitHeaders(res: ServerResponse, limit: RateLimitState): void {
  res.setHeader('X-RateLimit-Limit', String(limit.limit));
  res.setHeader('X-RateLimit-Remaining', String(limit.remaining));
  res.setHeader('X-RateLimit-Reset', String(limit.resetEpochSeconds));
}

async function handleAdmin(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const workspace = state.workspace(url.searchParams.get('workspace'));
  const route = `${req.method} ${url.pathname}`;
  if (!workspace) return send(res, 404, { message: 'unknown workspace' });
  if (route === 'GET /_emulator/cohorts') {
    return send(res, 200, {
      workspace: workspace.name,
      data_points: workspace.dataPoints,
      cohorts: [...workspace.cohorts.values()].map(({ members, ...cohort }) => ({
        ...cohort,
        size: members.size,
      })),
    });
  }
  const members = /^GET \/_emulator\/cohorts\/([^/]+)\/members$/.exec(route);
  if (members) {
    const cohort = workspace.cohorts.get(decodeURIComponent(members[1]!));
    if (!cohort) return send(res, 404, { message: 'unknown cohort' });
    return send(res, 200, {
      cohort_id: cohort.cohort_id,
      name: cohort.name,
      members: [...cohort.members].map((key) => workspace.directory.describe(key)),
    });
  }
  if (route === 'GET /_emulator/requests') {
    const limit = Number(url.searchParams.get('limit') ?? state.history.length);
    return send(res, 200, { requests: state.history.slice(-limit) });
  }
  if (route === 'GET /_emulator/faults')
    return send(res, 200, { ...state.faults.current(), injected: state.faults.injected });
  if (route === 'PUT /_emulator/faults') {
    state.faults.configure(JSON.parse((await readBody(req)).toString('utf8') || '{}') as FaultSettings);
    return send(res, 200, state.faults.current());
  }
  if (route === 'POST /_emulator/users') {
    const { users } = JSON.parse((await readBody(req)).toString('utf8')) as { users: SeedUser[] };
    workspace.directory.upsert(users);
    return send(res, 200, { users: workspace.directory.size });
  }
  if (route === 'POST /_emulator/reset') {
    for (const w of state.workspaces) {
      w.cohorts.clear();
      w.dataPoints = 0;
    }
    state.history.length = 0;
    state.peakInFlight = state.inFlight;
    state.faults.configure({});
    return send(res, 200, { reset: true });
  }
  return send(res, 404, { message: 'Not Found' });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
