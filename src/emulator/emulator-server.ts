import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { USERS_TRACK_PATH } from '../destinations/braze-attribute/wire-types.js';
import { handleAdmin } from './admin-routes.js';
import { cohortRoute } from './cohort-routes.js';
import { EmulatorState, type EmulatorOptions } from './emulator-state.js';
import { sendJson } from './send-json.js';
import { serveApiRequest } from './serve-api-request.js';
import { usersTrackRoute } from './users-track-route.js';

export { EmulatorState };
export type { EmulatorOptions, RequestRecord, RestApiKey, WorkspaceOptions } from './emulator-state.js';

export interface RunningEmulator {
  url: string;
  state: EmulatorState;
  close(): Promise<void>;
}

/**
 * A local Braze, faithful to ../shared/braze-cohort-api.md and ../shared/braze-users-track.md: the
 * partner cohort routes (cohort-routes.ts) and `/users/track` (users-track-route.ts), each through
 * one pipeline of rate limits, faults and history (serve-api-request.ts); admin routes under
 * /_emulator/ (admin-routes.ts). Any other path is a 404.
 */
export async function startEmulator(
  options: EmulatorOptions,
  listen: { port?: number; host?: string } = {},
): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const server = createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: `emulator error: ${(error as Error).message}` });
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
  if (req.method === 'POST' && url.pathname === USERS_TRACK_PATH)
    return serveApiRequest(state, req, res, url.pathname, usersTrackRoute(state, req));
  const cohorts = /^\/partners\/([^/]+)\/cohorts(\/users)?$/.exec(url.pathname);
  if (cohorts && req.method === 'POST') {
    const route = cohortRoute(state, decodeURIComponent(cohorts[1]!), cohorts[2] !== undefined, url.pathname);
    return serveApiRequest(state, req, res, url.pathname, route);
  }
  return sendJson(res, 404, { message: 'Not Found' });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
