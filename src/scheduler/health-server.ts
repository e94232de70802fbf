import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError, errorMessage } from '../errors.js';

/** What /healthz says: 200 when `ok`, 503 otherwise, with the details as JSON. */
export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HealthServerOptions {
  health: () => Promise<HealthReport>;
  metrics: () => Promise<{ contentType: string; text: string }>;
}

/** A running listener and the address it got (port 0 picks a free one). */
export interface RunningHealthServer {
  url: string;
  close(): Promise<void>;
}

/** Where `--listen` binds when it names no host: this machine only. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/**
 * Parses `HOST:PORT`, `[::1]:PORT`, `:PORT` or `PORT`. Without a host the listener is on loopback only;
 * every interface must be asked for (`0.0.0.0:PORT`, `[::]:PORT`).
 */
export function parseListenAddress(value: string): { host: string; port: number } {
  const match = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65_535)
    throw new UsageError(
      `--listen expects HOST:PORT such as 127.0.0.1:9464 (or a port alone, on loopback), got "${value}"`,
    );
  return { host: match[1] ?? (match[2] || DEFAULT_LISTEN_HOST), port };
}

/** `/healthz` and `/metrics` (Prometheus text format) on one small HTTP listener; GET only. */
export async function startHealthServer(
  address: { host: string; port: number },
  options: HealthServerOptions,
): Promise<RunningHealthServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://daemon').pathname;
    const reply = async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/healthz') {
        const report = await options.health();
        res
          .writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(`${JSON.stringify(report)}\n`);
      } else if (path === '/metrics') {
        const { contentType, text } = await options.metrics();
        res.writeHead(200, { 'content-type': contentType }).end(text);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
      }
    };
    reply().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${errorMessage(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new UsageError(`cannot listen on ${address.host}:${address.port} (${errorMessage(error)})`)),
    );
    server.listen(address.port, address.host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
