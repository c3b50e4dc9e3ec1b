// Network-namespace helpers for the node-daemon integration specs and the WireGuard benchmark.
// Everything created here gets a unique name and is removed by `cleanup()` (processes by pid,
// then namespaces, which takes their interfaces with them), so a failed run leaves nothing.
// Addresses: underlay 198.18.0.0/15 (RFC 2544 benchmarking space), tunnels 100.64.0.0/10 and
// fd00::/8 — never RFC 1918 or public space.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { CommandResult, ExecFileRunner, NetnsRunner, RunOptions } from '@phoenix/wireguard';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function which(program: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const path = `${dir}/${program}`;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * Throws (never skips) with a message naming what is missing when this machine cannot run the
 * namespace tests: root, `ip netns`, /dev/net/tun, wireguard-go, wg, nft, ping.
 */
export function assertNamespaceSupport(): void {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) problems.push('must run as root (network namespaces and WireGuard need CAP_NET_ADMIN)');
  if (which('ip') === null) problems.push('`ip` (iproute2) is not installed');
  else {
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'pipe' });
    } catch (error) {
      problems.push(`\`ip netns\` is unavailable: ${(error as Error).message}`);
    }
  }
  if (!existsSync('/dev/net/tun')) problems.push('/dev/net/tun is missing (wireguard-go needs the TUN device)');
  for (const [program, pkg] of [['wireguard-go', 'wireguard-go'], ['wg', 'wireguard-tools'], ['nft', 'nftables'], ['ping', 'iputils-ping']]) {
    if (which(program as string) === null) problems.push(`\`${program}\` is not installed (apt-get install ${pkg})`);
  }
  if (problems.length) throw new Error(`the network-namespace tests cannot run here:\n  - ${problems.join('\n  - ')}`);
}

/** Four random hex characters, for names no parallel run will pick. */
export function randomTag(): string {
  return randomBytes(2).toString('hex');
}

/** A lab of namespaces, veth links and processes that cleans up after itself. */
export class NetnsLab {
  readonly tag = randomTag();
  readonly namespaces: string[] = [];
  private readonly pids = new Set<number>();
  private readonly sockets = new Set<string>();
  private readonly host = new ExecFileRunner({ timeoutMs: 30_000 });
  private links = 0;

  /** Creates `phx-<role>-<tag>` with loopback up. */
  async addNamespace(role: string): Promise<string> {
    const name = `phx-${role}-${this.tag}`;
    await this.host.run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await this.run(name, 'ip', ['link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair between two namespaces, each end addressed (`198.18.x.y/24`) and up. Returns the two names. */
  async link(nsA: string, addressA: string, nsB: string, addressB: string): Promise<[string, string]> {
    const n = this.links++;
    const a = `phx${this.tag}a${n}`;
    const b = `phx${this.tag}b${n}`;
    await this.host.run('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    await this.run(nsA, 'ip', ['address', 'add', addressA, 'dev', a]);
    await this.run(nsB, 'ip', ['address', 'add', addressB, 'dev', b]);
    await this.run(nsA, 'ip', ['link', 'set', a, 'up']);
    await this.run(nsB, 'ip', ['link', 'set', b, 'up']);
    return [a, b];
  }

  runner(ns: string): NetnsRunner {
    return new NetnsRunner(this.host, ns);
  }

  run(ns: string, cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    return this.runner(ns).run(cmd, args, opts);
  }

  /** True when the command exits 0. */
  async succeeds(ns: string, cmd: string, args: readonly string[]): Promise<boolean> {
    try {
      await this.run(ns, cmd, args);
      return true;
    } catch {
      return false;
    }
  }

  /** One ping (1 s deadline) from `ns` to `address`. */
  ping(ns: string, address: string): Promise<boolean> {
    return this.succeeds(ns, 'ping', ['-n', '-q', '-c', '1', '-W', '1', address]);
  }

  /** Pings until one answer comes back, at most `attempts` times (each bounded by 1 s). */
  async pingEventually(ns: string, address: string, attempts = 20): Promise<boolean> {
    for (let i = 0; i < attempts; i++) {
      if (await this.ping(ns, address)) return true;
      await sleep(200);
    }
    return false;
  }

  /** Spawns a long-running process inside `ns`, tracked for cleanup. */
  spawn(ns: string, cmd: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) this.pids.add(child.pid);
    return child;
  }

  /** Tracks a pid started elsewhere (e.g. the daemon's wireguard-go) for cleanup. */
  track(pid: number | null | undefined): void {
    if (typeof pid === 'number' && pid > 1) this.pids.add(pid);
  }

  /**
   * Marks a userspace WireGuard interface as ours: wireguard-go's control socket lives in the
   * shared /var/run/wireguard (not per namespace, hence unique interface names), and a killed
   * process leaves it behind.
   */
  trackInterface(iface: string): void {
    this.sockets.add(`/var/run/wireguard/${iface}.sock`);
  }

  /** Kills every tracked process (by pid), deletes every namespace and stale control socket. Never throws. */
  async cleanup(): Promise<void> {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.pids.clear();
    await sleep(100);
    for (const ns of this.namespaces.splice(0)) {
      try {
        await this.host.run('ip', ['netns', 'delete', ns]);
      } catch {
        // already gone
      }
    }
    for (const socket of this.sockets) rmSync(socket, { force: true });
    this.sockets.clear();
  }
}

/** Pids of the processes whose argv contains every one of `words` (read from /proc). */
export function pidsWithArgv(...words: string[]): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (words.every((w) => argv.includes(w) || argv.some((a) => a.endsWith(`/${w}`)))) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Polls `check` every `everyMs` until it is true or `attempts` run out; returns the last result. */
export async function eventually(check: () => Promise<boolean> | boolean, attempts = 50, everyMs = 200): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return false;
}
