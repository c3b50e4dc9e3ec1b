// Test support for the sharded-ClickHouse suite: throwaway clickhouse-server processes of a suite's
// own (never the stack's), made from the stack's config.xml/users.xml templates like start.sh makes
// the stack's, on free loopback ports, each in its own directory under one temporary directory, with
// a config.d/cluster.xml naming them all as the shards of one cluster.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WORKSPACE_ROOT, freeLoopbackPort } from '@phoenix/common/testing';

const TEMPLATES = path.join(WORKSPACE_ROOT, 'tools/stack/clickhouse');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** One clickhouse-server of a throwaway cluster: shard `shard` (1-based), its own ports and directory. */
export class ThrowawayClickHouse {
  private proc: ChildProcess | null = null;

  constructor(
    readonly shard: number,
    readonly dir: string,
    readonly httpPort: number,
    readonly tcpPort: number,
  ) {}

  /** CLICKHOUSE_URL of `database` on this server. */
  url(database = 'default'): string {
    return `http://127.0.0.1:${this.httpPort}/${database}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the server (its data kept from an earlier run) and resolves once it answers /ping (bounded). */
  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn('clickhouse-server', [`--config-file=${path.join(this.dir, 'config.xml')}`], { cwd: this.dir, stdio: 'ignore' });
    this.proc = proc;
    let exited = false;
    proc.once('exit', () => {
      exited = true;
      if (this.proc === proc) this.proc = null;
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`clickhouse-server (shard ${this.shard}) exited at start: ${this.errorLog()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.httpPort}/ping`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`clickhouse-server (shard ${this.shard}) did not answer within ${START_TIMEOUT_MS} ms: ${this.errorLog()}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Stops the server by its pid: SIGTERM, SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      this.proc = null;
      return;
    }
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (killed) {
      proc.kill('SIGKILL');
      await exited;
    }
    this.proc = null;
  }

  /** The end of the server's error log (for failures). */
  errorLog(): string {
    try {
      return readFileSync(path.join(this.dir, 'clickhouse.err.log'), 'utf8').slice(-2000);
    } catch {
      return '(no error log)';
    }
  }
}

/**
 * `shards` clickhouse-servers forming the cluster `name` (one replica per shard, no ZooKeeper), with
 * the macros `{shard}` (01, 02, …) and `{replica}` (r1) a replicated schema's paths use.
 */
export class ThrowawayClickHouseCluster {
  private constructor(
    readonly name: string,
    readonly root: string,
    readonly servers: ThrowawayClickHouse[],
  ) {}

  static async start(name: string, shards: number): Promise<ThrowawayClickHouseCluster> {
    const root = mkdtempSync(path.join(tmpdir(), 'phx-clickhouse-'));
    const ports = new Set<number>();
    while (ports.size < shards * 2) ports.add(await freeLoopbackPort());
    const [http, tcp] = [[...ports].slice(0, shards), [...ports].slice(shards)];
    const servers = http.map((h, i) => new ThrowawayClickHouse(i + 1, path.join(root, `shard${i + 1}`), h, tcp[i]));
    const remote = servers.map((s) => `      <shard><replica><host>127.0.0.1</host><port>${s.tcpPort}</port></replica></shard>`).join('\n');
    for (const s of servers) {
      for (const sub of ['data', 'tmp', 'user_files', 'format_schemas', 'config.d']) mkdirSync(path.join(s.dir, sub), { recursive: true });
      const config = readFileSync(path.join(TEMPLATES, 'config.xml'), 'utf8')
        .replaceAll('@DIR@', s.dir)
        .replaceAll('@HTTP_PORT@', String(s.httpPort))
        .replaceAll('@TCP_PORT@', String(s.tcpPort));
      writeFileSync(path.join(s.dir, 'config.xml'), config);
      writeFileSync(path.join(s.dir, 'users.xml'), readFileSync(path.join(TEMPLATES, 'users.xml')));
      writeFileSync(
        path.join(s.dir, 'config.d', 'cluster.xml'),
        `<?xml version="1.0"?>
<yandex>
  <remote_servers>
    <${name}>
${remote}
    </${name}>
  </remote_servers>
  <macros><shard>${String(s.shard).padStart(2, '0')}</shard><replica>r1</replica></macros>
</yandex>
`,
      );
    }
    const cluster = new ThrowawayClickHouseCluster(name, root, servers);
    try {
      await Promise.all(servers.map((s) => s.start()));
    } catch (e) {
      await cluster.dispose();
      throw e;
    }
    return cluster;
  }

  /** Stops every server by its pid and deletes their directories. */
  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    rmSync(this.root, { recursive: true, force: true });
  }
}
