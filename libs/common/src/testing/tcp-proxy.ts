import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

/**
 * A TCP proxy on loopback in front of a server a suite shares with others (the stack's ClickHouse
 * or Postgres): {@link cut} takes "the server" down for this suite alone — open connections are
 * destroyed and new ones refused — and {@link restore} brings it back, without touching the server.
 */
export class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private up = true;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on a free loopback port ({@link port}). */
  async start(): Promise<void> {
    const server = createServer((client) => {
      if (!this.up) {
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  /** `url` with its host and port replaced by this proxy's. */
  proxied(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
