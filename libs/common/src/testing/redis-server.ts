import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';

/** A free TCP port on loopback (free when asked; the caller binds it next). */
export async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface ThrowawayRedisOptions {
  /** Port to listen on (default: a free one). Restarts reuse it. */
  port?: number;
  /** Append-only file on, in the server's own directory: data survives a stop and start. */
  appendOnly?: boolean;
  /** More `redis-server` arguments (e.g. `['--aclfile', file]`). */
  args?: string[];
}

/**
 * A throwaway redis-server of a suite's own (never the stack's, which other suites share), on
 * loopback in a temporary directory: it can be killed and started again on the same port to make
 * an outage, flushed, or replaced by an empty one, without touching anyone else. {@link stop}
 * ends it by its pid; {@link dispose} also deletes its directory.
 */
export class ThrowawayRedis {
  private proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'phx-redis-'));

  private constructor(
    readonly port: number,
    private readonly options: ThrowawayRedisOptions,
  ) {}

  static async start(options: ThrowawayRedisOptions = {}): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(options.port ?? (await freeLoopbackPort()), options);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** A client of the default user (close it when done). */
  client(): Redis {
    return new Redis({ port: this.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  }

  /** Starts redis-server on this port and resolves once it accepts connections (bounded). */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.proc) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir];
    args.push('--appendonly', this.options.appendOnly ? 'yes' : 'no', ...(this.options.args ?? []));
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`redis-server on port ${this.port} not ready within ${timeoutMs} ms: ${out}`)), timeoutMs);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) done();
      };
      const onExit = () => done(new Error(`redis-server on port ${this.port} exited: ${out}`));
      const done = (error?: Error) => {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        proc.off('exit', onExit);
        if (error) {
          this.proc = null;
          proc.kill('SIGKILL');
          reject(error);
        } else resolve();
      };
      proc.stdout?.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', (e) => done(new Error(`redis-server could not start (apt-get install redis-server): ${e.message}`)));
    });
    // Drain its output so a full pipe never blocks it.
    proc.stdout?.resume();
    proc.stderr?.resume();
  }

  /** Stops this redis-server by its pid (`SIGKILL`: a crash, nothing said to the clients) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
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

  /** Stops the server, empties its directory and starts it again: a replaced Redis. */
  async replace(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir);
    await this.start();
  }

  /** Stops the server and deletes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
