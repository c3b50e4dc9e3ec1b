// A redis-server of a suite's own (never the stack's, which other suites share): started on a free
// loopback port, stopped by its pid, flushed or replaced by an empty one without touching anyone else.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A private redis-server, stopped and restarted by pid. AOF keeps data across restarts. */
export class PrivateRedis {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'cfg-redis-'));
  constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  client(): Redis {
    return new Redis({ port: this.port, host: '127.0.0.1' });
  }

  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', this.dir], { stdio: 'ignore' });
    const client = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await client.connect();
        await client.ping();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('private redis-server did not start');
        client.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    client.disconnect();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(p.pid, 'SIGTERM');
    await exited;
  }

  /** `FLUSHALL` on this server only. */
  async flushAll(): Promise<void> {
    const c = this.client();
    try {
      await c.flushall();
    } finally {
      c.disconnect();
    }
  }

  /** Stops the server, empties its data directory and starts it again: a replaced Redis. */
  async replace(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir);
    await this.start();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
