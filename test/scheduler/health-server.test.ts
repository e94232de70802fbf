import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseListenAddress, startHealthServer } from '../../src/scheduler/health-server.js';

describe('the health listener', () => {
  it('parses HOST:PORT, [IPv6]:PORT, and :PORT or PORT on loopback only', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListenAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    for (const bad of ['localhost', '127.0.0.1:99999', '127.0.0.1:abc', ':']) {
      expect(() => parseListenAddress(bad)).toThrow(UsageError);
    }
  });

  it('answers 503 when unhealthy, 404 elsewhere, 405 to a POST', async () => {
    let ok = true;
    const server = await startHealthServer(
      { host: '127.0.0.1', port: 0 },
      {
        health: () => Promise.resolve({ ok, warehouse: ok ? 'connected' : 'connection refused' }),
        metrics: () => Promise.resolve({ contentType: 'text/plain', text: 'm 1\n' }),
      },
    );
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      ok = false;
      const sick = await fetch(`${server.url}/healthz`);
      expect(sick.status).toBe(503);
      expect(await sick.json()).toEqual({ ok: false, warehouse: 'connection refused' });
      expect(await (await fetch(`${server.url}/metrics`)).text()).toBe('m 1\n');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('says clearly when the port is taken', async () => {
    const first = await startHealthServer(
      { host: '127.0.0.1', port: 0 },
      {
        health: () => Promise.resolve({ ok: true }),
        metrics: () => Promise.resolve({ contentType: 'text/plain', text: '' }),
      },
    );
    const port = Number(new URL(first.url).port);
    try {
      await expect(
        startHealthServer(
          { host: '127.0.0.1', port },
          {
            health: () => Promise.resolve({ ok: true }),
            metrics: () => Promise.resolve({ contentType: 'text/plain', text: '' }),
          },
        ),
      ).rejects.toThrow(new RegExp(`cannot listen on 127.0.0.1:${port} \\(.*EADDRINUSE`));
    } finally {
      await first.close();
    }
  });
});
