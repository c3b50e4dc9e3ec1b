import { ChildProcess, spawn } from 'node:child_process';
import { AddressInfo, createServer } from 'node:net';

/** A free TCP port on loopback (free when asked; the caller binds it next). */
export async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * A throwaway redis-server of a suite's own (never the stack's, which other suites share), on
 * loopback without persistence: it can be killed and started again on the same port to make an
 * outage.
 */
export class ThrowawayRedis {
  private proc: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(port ?? (await freeLoopbackPort()));
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Starts redis-server on this port and resolves once it accepts connections (bounded). */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.proc) return;
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
}
