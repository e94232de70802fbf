import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { atEnd } from './cleanup.js';

/**
 * A loopback TCP proxy in front of a server (PostgreSQL) that a test can take
 * down and bring back, as a network partition or a server restart would:
 * while down, every open connection is cut and new ones are closed at once.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private isDown = false;

  private readonly server: ReturnType<typeof createServer>;

  private constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client, target));
  }

  /** Listens on a free loopback port and forwards to `target`; closed when the test file ends. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    atEnd(() => proxy.close());
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Cuts every connection and refuses new ones until {@link up}. */
  down(): void {
    this.isDown = true;
    for (const socket of this.sockets) socket.destroy();
  }

  up(): void {
    this.isDown = false;
  }

  close(): Promise<void> {
    this.down();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.isDown) {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    for (const [socket, peer] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('error', () => peer.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        peer.destroy();
      });
      socket.pipe(peer);
    }
  }
}
