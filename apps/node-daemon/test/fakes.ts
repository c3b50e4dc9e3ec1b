// In-memory stand-ins for the daemon's adapters, for unit specs: a host that answers `ip`, `wg`,
// `nft` and `sysctl` like Linux would (and records every argv), a wireguard-go supervisor, a
// control plane and a state directory (the clock is `FakeClock` of @phoenix/common/testing). An
// argv the fake host does not know fails the test, so no command goes unnoticed.
import type { DesiredPeer } from '@phoenix/common';
import { CommandError, CommandResult, CommandRunner, PeerSetChange, RunOptions } from '@phoenix/wireguard';
import { ControlPlane, ControlPlaneError, DesiredState, NotModified, PulseRequest, RegisterRequest, Registration } from '../src/control-plane/control-plane';
import { EMPTY_SNAPSHOT, NodeKey, NodeSnapshot, NodeStore, replayJournal } from '../src/node/node-state.store';
import { NodeSettings } from '../src/node/node-settings';
import { UserspaceWireGuard } from '../src/node/wireguard-go.process';

export const NODE_PUBLIC = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
export const KEYS = [
  'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=',
  'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=',
  'gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=',
  'FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=',
] as const;

/** The settings unit specs run the daemon with (wireguard-go on `wg0`, 100.64.0.0/16 and fd00:6a:1::/64). */
export const NODE_SETTINGS_FIXTURE: NodeSettings = {
  iface: 'wg0',
  mode: 'auto',
  listenPort: 51820,
  mtu: 1420,
  tunnelCidrV4: '100.64.0.0/16',
  tunnelCidrV6: 'fd00:6a:1::/64',
  egressInterface: 'eth0',
  adminTcpPorts: [22],
  publicHost: 'vpn-1.example.net',
  location: 'de-fra',
  capacity: 200,
  ephemeral: false,
  version: '0.1.0',
  reconcileIntervalMs: 30_000,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  interfaceStartTimeoutMs: 5000,
};

export function peer(i: number, expiresAt = '2999-01-01T00:00:00.000Z'): DesiredPeer {
  return { publicKey: KEYS[i] as string, allowedIps: [`100.64.0.${i + 2}/32`], expiresAt };
}

export interface Call {
  cmd: string;
  args: string[];
  input?: string;
}

/** A Linux host with at most one WireGuard interface and the `inet phoenix` table. */
export class FakeHost implements CommandRunner {
  readonly calls: Call[] = [];
  kernelWireGuard = false;
  link: { up: boolean; mtu: number; addresses: string[]; hasKey: boolean; listenPort: number; peers: Map<string, string[]> } | null = null;
  nftTable: string | null = null;
  /** Every command fails as if the binary were missing (e.g. to prove no call is made). */
  failAll = false;
  /** A peer's rx and tx counters in the dump (default 1000 and 2000). */
  readonly transfer = new Map<string, [rx: number, tx: number]>();

  constructor(readonly iface = 'wg0') {}

  createLink(): void {
    this.link = { up: false, mtu: 1500, addresses: [], hasKey: false, listenPort: 0, peers: new Map() };
  }

  argv(filter?: string): string[][] {
    return this.calls.filter((c) => filter === undefined || c.cmd === filter).map((c) => [c.cmd, ...c.args]);
  }

  /** The `wg set` calls that change peers. */
  peerSets(): string[][] {
    return this.argv('wg').filter((a) => a[1] === 'set' && a.includes('peer'));
  }

  async run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    const a = [...args];
    this.calls.push({ cmd, args: a, ...(opts?.input !== undefined ? { input: opts.input } : {}) });
    if (this.failAll) throw new CommandError(cmd, a, null, '', 'spawn ENOENT');
    const fail = (stderr: string, code = 1): never => {
      throw new CommandError(cmd, a, code, '', stderr);
    };
    const ok = (stdout = ''): CommandResult => ({ stdout, stderr: '' });
    const key = a.join(' ');
    if (cmd === 'ip') {
      if (key === `link show dev ${this.iface}`) return this.link ? ok(`4: ${this.iface}: <POINTOPOINT,NOARP,UP>`) : fail(`Device "${this.iface}" does not exist.`);
      if (key === `link add dev ${this.iface} type wireguard`) {
        if (!this.kernelWireGuard) fail('Error: Unknown device type.', 2);
        this.createLink();
        return ok();
      }
      if (key === `link delete dev ${this.iface}`) {
        if (!this.link) fail(`Cannot find device "${this.iface}"`);
        this.link = null;
        return ok();
      }
      const link = this.link;
      if (!link) return fail(`Cannot find device "${this.iface}"`);
      if (a[0] === 'address' && a[1] === 'replace' && a[3] === 'dev') {
        if (!link.addresses.includes(a[2] as string)) link.addresses.push(a[2] as string);
        return ok();
      }
      if (key === `link set dev ${this.iface} up`) {
        link.up = true;
        return ok();
      }
      if (a[0] === 'link' && a[1] === 'set' && a[4] === 'mtu') {
        link.mtu = Number(a[5]);
        return ok();
      }
    }
    if (cmd === 'wg') {
      if (a[1] !== this.iface) fail('Unable to access interface: No such device');
      const link = this.link;
      if (!link) return fail('Unable to access interface: No such device');
      if (a[0] === 'show' && a[2] === 'dump') {
        const head = [link.hasKey ? 'PRIVATE' : '(none)', link.hasKey ? NODE_PUBLIC : '(none)', String(link.listenPort), 'off'].join('\t');
        const lines = [...link.peers].map(([k, ips]) => [k, '(none)', '(none)', ips.length ? ips.join(',') : '(none)', '0', String(this.transfer.get(k)?.[0] ?? 1000), String(this.transfer.get(k)?.[1] ?? 2000), 'off'].join('\t'));
        return ok([head.replace('PRIVATE', 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk='), ...lines].join('\n') + '\n');
      }
      if (a[0] === 'set') {
        for (let i = 2; i < a.length; ) {
          const word = a[i];
          if (word === 'listen-port') {
            link.listenPort = Number(a[i + 1]);
            i += 2;
          } else if (word === 'private-key') {
            link.hasKey = true;
            i += 2;
          } else if (word === 'peer') {
            const k = a[i + 1] as string;
            if (a[i + 2] === 'remove') {
              link.peers.delete(k);
              i += 3;
            } else if (a[i + 2] === 'allowed-ips') {
              link.peers.set(k, (a[i + 3] as string).split(',').filter(Boolean));
              i += 4;
            } else fail(`unexpected peer clause ${a[i + 2]}`);
          } else fail(`unexpected wg set word ${word}`);
        }
        return ok();
      }
    }
    if (cmd === 'nft') {
      if (key === '-f -') {
        // What `nft list` prints is the table body of what was loaded (same shape).
        const text = opts?.input ?? '';
        this.nftTable = text.slice(text.lastIndexOf('table inet phoenix {'));
        return ok();
      }
      if (key === 'list table inet phoenix') return this.nftTable === null ? fail('Error: No such file or directory') : ok(this.nftTable);
      if (key === 'delete table inet phoenix') {
        if (this.nftTable === null) fail('Error: No such file or directory');
        this.nftTable = null;
        return ok();
      }
    }
    if (cmd === 'sysctl') return ok();
    throw new Error(`FakeHost: unexpected command ${cmd} ${key}`);
  }
}

/** wireguard-go: starting it creates the link, killing it removes the link. */
export class FakeUserspace implements UserspaceWireGuard {
  pid: number | null = null;
  starts = 0;
  stops = 0;
  private nextPid = 1000;

  constructor(private readonly host: FakeHost) {}

  async runningPid(): Promise<number | null> {
    return this.pid;
  }

  async start(): Promise<number> {
    this.starts++;
    this.pid = this.nextPid++;
    this.host.createLink();
    return this.pid;
  }

  async stop(): Promise<void> {
    this.stops++;
    this.kill();
  }

  /** The process dies (its TUN device goes with it). */
  kill(): void {
    this.pid = null;
    this.host.link = null;
  }
}

/** config-service's node endpoints in memory, with switches for failures. */
export class FakeControlPlane implements ControlPlane {
  generation = 1;
  peers: DesiredPeer[] = [];
  failure: ControlPlaneError['failure'] | null = null;
  readonly registrations: RegisterRequest[] = [];
  readonly pulses: PulseRequest[] = [];
  desiredCalls = 0;
  /** The generation each pull named in `If-None-Match` (undefined: a whole-set pull). */
  readonly heldGenerations: Array<number | undefined> = [];
  /** Answer `304` to a conditional pull naming the current generation, as config-service does (off: always the whole set). */
  conditional = false;
  private tokens = 0;

  async register(body: RegisterRequest): Promise<Registration> {
    this.check();
    this.registrations.push(body);
    return { id: 'node-1', nodeToken: `node-token-${++this.tokens}-0123456789abcdef`, pulseIntervalSec: 10 };
  }

  async pulse(_nodeId: string, _token: string, body: PulseRequest): Promise<{ generation: number }> {
    this.check();
    this.pulses.push(body);
    return { generation: this.generation };
  }

  async desiredPeers(_nodeId?: string, _token?: string, heldGeneration?: number): Promise<DesiredState | NotModified> {
    this.desiredCalls++;
    this.heldGenerations.push(heldGeneration);
    this.check();
    if (this.conditional && heldGeneration === this.generation) return { notModified: true, generation: heldGeneration };
    return { generation: this.generation, peers: this.peers.map((p) => ({ ...p })) };
  }

  private check(): void {
    if (this.failure !== null) throw new ControlPlaneError(this.failure, `fake ${this.failure}`);
  }
}

/** A state directory in memory: the snapshot and the journal of changes since, replayed on load as the file store does. */
export class MemoryStore implements NodeStore {
  readonly dir = '/var/lib/phoenix-node-daemon';
  snapshot: NodeSnapshot = { ...EMPTY_SNAPSHOT };
  journal: PeerSetChange[] = [];
  keyCreations = 0;
  saves = 0;
  closes = 0;
  /** Every append fails (e.g. a full disk). */
  failAppends = false;
  private key: NodeKey | null = null;

  async loadOrCreateKey(): Promise<NodeKey> {
    if (this.key === null) {
      this.keyCreations++;
      this.key = { publicKey: NODE_PUBLIC, keyFile: `${this.dir}/private.key` };
    }
    return this.key;
  }

  async load(): Promise<NodeSnapshot> {
    return replayJournal(structuredClone(this.snapshot), structuredClone(this.journal));
  }

  async save(snapshot: NodeSnapshot): Promise<void> {
    this.saves++;
    this.snapshot = structuredClone(snapshot);
    this.journal = [];
  }

  async append(change: PeerSetChange): Promise<void> {
    if (this.failAppends) throw new Error('ENOSPC: no space left on device');
    this.journal.push(structuredClone(change));
  }

  async close(): Promise<void> {
    this.closes++;
  }
}

export const silentLogger = { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
