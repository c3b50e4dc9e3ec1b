import { FakeClock } from '@phoenix/common/testing';
import { Registry } from 'prom-client';
import { ControlPlaneError } from '../control-plane/control-plane';
import { FakeControlPlane, FakeHost, FakeUserspace, KEYS, MemoryStore, NODE_PUBLIC, NODE_SETTINGS_FIXTURE, peer, silentLogger } from '../../test/fakes';
import { Backoff } from './backoff';
import { FULL_PULL_EVERY } from './control-plane-loop';
import { NodeDaemon } from './node-daemon.service';
import { NodeMetrics } from './node.metrics';
import { NodeSettings } from './node-settings';

const SETTINGS = NODE_SETTINGS_FIXTURE;

function setup(overrides: Partial<NodeSettings> = {}) {
  const host = new FakeHost();
  const userspace = new FakeUserspace(host);
  const controlPlane = new FakeControlPlane();
  const store = new MemoryStore();
  const clock = new FakeClock();
  const registry = new Registry();
  const metrics = new NodeMetrics(registry);
  const random = jest.fn(() => 0.5);
  const stats = { cpuPercent: jest.fn(() => 10) };
  const build = () =>
    new NodeDaemon({ ...SETTINGS, ...overrides }, { runner: host, controlPlane, store, userspace, clock, random, stats, metrics, logger: silentLogger });
  const daemon = build();
  const reconcileRequests: string[] = [];
  daemon.onReconcileRequested = (reason) => reconcileRequests.push(reason);
  return { host, userspace, controlPlane, store, clock, registry, metrics, daemon, build, random, stats, reconcileRequests };
}

/** A second daemon over the same host and wireguard-go, with nothing else of the first: a daemon restart. */
function daemonOver(host: FakeHost, userspace: FakeUserspace): NodeDaemon {
  return new NodeDaemon(SETTINGS, {
    runner: host,
    controlPlane: new FakeControlPlane(),
    store: new MemoryStore(),
    userspace,
    clock: new FakeClock(),
    random: () => 0.5,
    stats: { cpuPercent: () => 0 },
    metrics: new NodeMetrics(new Registry()),
    logger: silentLogger,
  });
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values ?? []).find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return Number(value?.value ?? 0);
}

/** A started node: interface and firewall up, registered, first reconcile done. */
async function started(overrides: Partial<NodeSettings> = {}, peers = [peer(0), peer(1)]) {
  const ctx = setup(overrides);
  ctx.controlPlane.peers = peers;
  await ctx.daemon.init();
  await ctx.daemon.heal();
  expect(await ctx.daemon.controlStep()).toBe(SETTINGS.reconcileIntervalMs);
  ctx.host.calls.length = 0;
  return ctx;
}

describe('NodeDaemon: bringing the interface up', () => {
  it('uses the kernel module when present, with key file, port, gateway addresses and MTU', async () => {
    const { host, userspace, daemon } = setup();
    host.kernelWireGuard = true;
    await daemon.init();
    await daemon.heal();
    expect(userspace.starts).toBe(0);
    expect(host.argv('ip')).toEqual([
      ['ip', 'link', 'show', 'dev', 'wg0'],
      ['ip', 'link', 'add', 'dev', 'wg0', 'type', 'wireguard'],
      ['ip', 'address', 'replace', '100.64.0.1/16', 'dev', 'wg0'],
      ['ip', 'address', 'replace', 'fd00:6a:1::1/64', 'dev', 'wg0'],
      ['ip', 'link', 'set', 'dev', 'wg0', 'mtu', '1420'],
      ['ip', 'link', 'set', 'dev', 'wg0', 'up'],
    ]);
    expect(host.argv('wg')).toContainEqual(['wg', 'set', 'wg0', 'listen-port', '51820', 'private-key', '/var/lib/phoenix-node-daemon/private.key']);
    expect(daemon.dataplaneHealthy()).toBe(true);
  });

  it('falls back to wireguard-go when the kernel has no WireGuard', async () => {
    const { host, userspace, daemon } = setup();
    await daemon.init();
    await daemon.heal();
    expect(userspace.starts).toBe(1);
    expect(host.link).toMatchObject({ up: true, mtu: 1420, hasKey: true, listenPort: 51820, addresses: ['100.64.0.1/16', 'fd00:6a:1::1/64'] });
    expect(host.argv('sysctl')).toEqual([
      ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
      ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1'],
    ]);
  });

  it('never passes the private key itself in any argv', async () => {
    const { host, daemon } = setup();
    await daemon.init();
    await daemon.heal();
    const all = host.calls.map((c) => [c.cmd, ...c.args, c.input ?? ''].join(' ')).join('\n');
    expect(all).not.toContain('yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=');
    expect(all).toContain('private-key /var/lib/phoenix-node-daemon/private.key');
  });

  it('adopts an interface already running (a daemon restart) without recreating it', async () => {
    const { host, userspace, daemon } = setup();
    await daemon.init();
    await daemon.heal();
    // Same host, same wireguard-go: a second daemon over them.
    const second = daemonOver(host, userspace);
    host.calls.length = 0;
    await second.init();
    await second.heal();
    expect(userspace.starts).toBe(1);
    expect(host.argv('ip')).toEqual([]);
    expect(host.argv('wg')).toEqual([['wg', 'show', 'wg0', 'dump']]);
  });

  it('turns IP forwarding on for an interface it adopts, not only for one it creates', async () => {
    const { host, userspace, daemon } = setup();
    await daemon.init();
    await daemon.heal();
    const adopting = daemonOver(host, userspace);
    host.calls.length = 0;
    await adopting.init();
    await adopting.heal();
    await adopting.heal();
    expect(host.argv('sysctl')).toEqual([
      ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
      ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1'],
    ]);
  });

  it('recreates the interface when wireguard-go died, and restores every peer in one wg set', async () => {
    const { host, userspace, daemon, registry } = await started();
    userspace.kill();
    await daemon.heal();
    expect(userspace.starts).toBe(2);
    expect([...host.link!.peers.keys()].sort()).toEqual([KEYS[0], KEYS[1]].sort());
    expect(host.peerSets()).toHaveLength(1);
    expect(await metricValue(registry, 'phoenix_node_interface_recreations_total')).toBe(2);
    expect(daemon.dataplaneHealthy()).toBe(true);
  });

  it('replaces a wireguard-go that runs but no longer answers', async () => {
    const { host, userspace, daemon } = await started();
    host.link = null; // the process is alive, the interface is not
    await daemon.heal();
    expect(userspace.stops).toBe(1);
    expect(userspace.starts).toBe(2);
    expect(host.link!.peers.size).toBe(2);
  });

  it('restores the key and port when the interface lost them', async () => {
    const { host, daemon } = await started();
    host.link!.hasKey = false;
    host.link!.listenPort = 4242;
    await daemon.heal();
    expect(host.link).toMatchObject({ hasKey: true, listenPort: 51820 });
  });

  it('reports unhealthy (and keeps trying) when the interface cannot be created', async () => {
    const { host, daemon } = setup({ mode: 'kernel' });
    await daemon.init();
    await daemon.heal();
    expect(daemon.dataplaneHealthy()).toBe(false);
    host.kernelWireGuard = true;
    await daemon.heal();
    expect(daemon.dataplaneHealthy()).toBe(true);
  });

  it('touches nothing on the host with WG_MODE=off', async () => {
    const { host, daemon, controlPlane } = setup({ mode: 'off' });
    host.failAll = true;
    controlPlane.peers = [peer(0)];
    await daemon.init();
    await daemon.heal();
    expect(await daemon.controlStep()).toBe(SETTINGS.reconcileIntervalMs);
    expect(host.calls).toEqual([]);
    expect(daemon.dataplaneHealthy()).toBe(true);
    expect(daemon.appliedGeneration).toBe(1);
  });
});

describe('NodeDaemon: firewall', () => {
  it('applies the ruleset atomically on stdin and verifies the live table', async () => {
    const { host, daemon } = setup();
    await daemon.init();
    await daemon.heal();
    const nft = host.calls.filter((c) => c.cmd === 'nft');
    expect(nft.map((c) => c.args)).toEqual([
      ['list', 'table', 'inet', 'phoenix'],
      ['-f', '-'],
      ['list', 'table', 'inet', 'phoenix'],
    ]);
    expect(nft[1]!.input).toContain('delete table inet phoenix');
    expect(nft[1]!.input).toContain('oifname "eth0" ip saddr 100.64.0.0/16 masquerade');
    expect(nft[1]!.input).toContain('iifname != "wg0" tcp dport 22 accept');
  });

  it('leaves an unchanged table alone and re-applies one that drifted or vanished', async () => {
    const { host, daemon, registry } = await started();
    await daemon.heal();
    expect(host.argv('nft')).toEqual([['nft', 'list', 'table', 'inet', 'phoenix']]);

    host.nftTable = host.nftTable!.replace('\t\tct state invalid drop\n', '');
    await daemon.heal();
    expect(host.argv('nft').filter((a) => a[1] === '-f')).toHaveLength(1);
    expect(host.nftTable).toContain('ct state invalid drop');

    host.nftTable = null;
    await daemon.heal();
    expect(host.nftTable).not.toBeNull();
    expect(await metricValue(registry, 'phoenix_node_firewall_applies_total')).toBe(3);
    expect(daemon.dataplaneHealthy()).toBe(true);
  });

  it('is unhealthy when the applied table does not verify', async () => {
    const { host, daemon } = setup();
    await daemon.init();
    const run = host.run.bind(host);
    host.run = async (cmd, args, opts) => {
      const result = await run(cmd, args, opts);
      if (cmd === 'nft' && args[0] === '-f') host.nftTable = 'table inet phoenix {\n}\n';
      return result;
    };
    await daemon.heal();
    expect(daemon.dataplaneHealthy()).toBe(false);
  });
});

describe('NodeDaemon: registration', () => {
  it('registers once with its public key and the node description, then reuses the token', async () => {
    const { controlPlane, daemon } = await started();
    expect(controlPlane.registrations).toEqual([
      {
        publicKey: NODE_PUBLIC,
        endpoint: { host: 'vpn-1.example.net', port: 51820 },
        location: 'de-fra',
        capacity: 200,
        tunnelCidrV4: '100.64.0.0/16',
        tunnelCidrV6: 'fd00:6a:1::/64',
        ephemeral: false,
        version: '0.1.0',
      },
    ]);
    await daemon.controlStep();
    await daemon.pulseStep();
    expect(controlPlane.registrations).toHaveLength(1);
    expect(daemon.registeredNodeId).toBe('node-1');
  });

  it('backs off when its registration itself is refused (a wrong enrollment token), without asking for a reconcile', async () => {
    const { controlPlane, daemon, reconcileRequests } = setup();
    await daemon.init();
    await daemon.heal();
    controlPlane.failure = 'unauthorized';
    const wait = await daemon.controlStep();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThan(Infinity);
    expect(reconcileRequests).toEqual([]);
    expect(daemon.registeredNodeId).toBeNull();
    controlPlane.failure = null;
    expect(await daemon.controlStep()).toBe(SETTINGS.reconcileIntervalMs);
    expect(controlPlane.registrations).toHaveLength(1);
  });

  it('names its tenant in the registration when dedicated to one', async () => {
    const { controlPlane } = await started({ tenantId: '8a2d1ce1-f7d1-4ae5-bccd-2b66b012da8b' });
    expect(controlPlane.registrations).toEqual([expect.objectContaining({ location: 'de-fra', tenantId: '8a2d1ce1-f7d1-4ae5-bccd-2b66b012da8b' })]);
  });

  it('registers again with the same key when config-service no longer knows the token', async () => {
    const { controlPlane, daemon, store, reconcileRequests } = await started();
    controlPlane.failure = 'unauthorized';
    await daemon.pulseStep();
    expect(reconcileRequests).toContain('registration needed');
    controlPlane.failure = null;
    await daemon.controlStep();
    expect(controlPlane.registrations.map((r) => r.publicKey)).toEqual([NODE_PUBLIC, NODE_PUBLIC]);
    expect(store.keyCreations).toBe(1);
  });

  it('keeps the key and node id across restarts (state directory)', async () => {
    const { store, build } = await started();
    const again = build();
    await again.init();
    expect(store.keyCreations).toBe(1);
    expect(store.snapshot.nodeId).toBe('node-1');
  });
});

describe('NodeDaemon: reconciliation', () => {
  it('adds, updates and removes only the difference, in one wg set call', async () => {
    const { host, controlPlane, daemon, registry } = await started();
    host.link!.peers.set(KEYS[3], ['100.64.9.9/32']); // a stray peer
    controlPlane.peers = [peer(0), { ...peer(1), allowedIps: ['100.64.1.1/32'] }, peer(2)];
    controlPlane.generation = 2;
    await daemon.controlStep();
    expect(host.peerSets()).toEqual([
      ['wg', 'set', 'wg0', 'peer', KEYS[3], 'remove', 'peer', KEYS[2], 'allowed-ips', '100.64.0.4/32', 'peer', KEYS[1], 'allowed-ips', '100.64.1.1/32'],
    ]);
    expect(daemon.appliedGeneration).toBe(2);
    expect(await metricValue(registry, 'phoenix_node_peer_changes_total', { change: 'add' })).toBe(3);
    expect(await metricValue(registry, 'phoenix_node_reconciles_total')).toBe(2);
  });

  it('makes no wg set call when the interface already matches', async () => {
    const { host, daemon } = await started();
    await daemon.controlStep();
    expect(host.peerSets()).toEqual([]);
  });

  it('drops desired peers it must not configure, keeping the rest', async () => {
    const { host, controlPlane, daemon } = await started({}, []);
    controlPlane.peers = [
      peer(0),
      { publicKey: KEYS[1], allowedIps: ['0.0.0.0/0'], expiresAt: '2999-01-01T00:00:00Z' },
      { publicKey: KEYS[2], allowedIps: ['100.100.2.3/32'] /* outside the node's 100.64.0.0/16 pool */, expiresAt: '2999-01-01T00:00:00Z' },
      { publicKey: 'not-a-key', allowedIps: ['100.64.0.9/32'], expiresAt: '2999-01-01T00:00:00Z' },
      { publicKey: KEYS[3], allowedIps: ['100.64.0.2/32'], expiresAt: '2999-01-01T00:00:00Z' }, // address of peer 0
    ];
    controlPlane.generation = 2;
    await daemon.controlStep();
    expect([...host.link!.peers.keys()]).toEqual([KEYS[0]]);
  });

  it('does not configure leases that have expired', async () => {
    const { host, controlPlane, daemon, clock } = await started({}, []);
    controlPlane.peers = [peer(0, new Date(clock.nowMs() - 1000).toISOString()), peer(1)];
    controlPlane.generation = 2;
    await daemon.controlStep();
    expect([...host.link!.peers.keys()]).toEqual([KEYS[1]]);
  });

  it('asks for a reconcile when a pulse reports another generation', async () => {
    const { controlPlane, daemon, reconcileRequests } = await started();
    expect(await daemon.pulseStep()).toBe(10_000);
    expect(reconcileRequests).toEqual([]);
    controlPlane.generation = 5;
    await daemon.pulseStep();
    expect(reconcileRequests).toEqual(['generation 5 announced, 1 applied']);
  });

  it('pulses real figures: peers, summed transfer, load from peers/capacity and CPU', async () => {
    const { controlPlane, daemon, stats } = await started({ capacity: 4 });
    stats.cpuPercent.mockReturnValue(20);
    await daemon.pulseStep();
    expect(controlPlane.pulses.at(-1)).toEqual({ load: 50, peers: 2, rxBytes: 2000, txBytes: 4000, cpu: 20, healthy: true });
    stats.cpuPercent.mockReturnValue(90);
    await daemon.pulseStep();
    expect(controlPlane.pulses.at(-1)).toMatchObject({ load: 90, cpu: 90 });
  });

  it('pulses each tenant’s traffic since the previous pulse, nothing per peer; a pulse that did not arrive hands its traffic to the next', async () => {
    const T1 = '0b7e4c1e-59d4-4c8a-9d1e-7a1f4b2c3d4e';
    const T2 = 'f3a2b1c0-1234-4abc-8def-0123456789ab';
    const { host, controlPlane, daemon } = await started({}, [{ ...peer(0), tenantId: T1 }, { ...peer(1), tenantId: T1 }, { ...peer(2), tenantId: T2 }, peer(3)]);
    await daemon.pulseStep(); // the baseline
    expect(controlPlane.pulses.at(-1)).not.toHaveProperty('tenantBytes');
    host.transfer.set(KEYS[0] as string, [1500, 2000]);
    host.transfer.set(KEYS[1] as string, [1000, 2100]);
    host.transfer.set(KEYS[2] as string, [1000, 2007]);
    host.transfer.set(KEYS[3] as string, [9000, 9000]); // a consumer's: not metered
    await daemon.pulseStep();
    expect(controlPlane.pulses.at(-1)?.tenantBytes).toEqual([
      { tenantId: T1, bytes: 600 },
      { tenantId: T2, bytes: 7 },
    ]);
    const body = JSON.stringify(controlPlane.pulses.at(-1));
    for (const k of KEYS) expect(body).not.toContain(k);

    host.transfer.set(KEYS[2] as string, [1000, 2010]);
    controlPlane.failure = 'unavailable';
    await daemon.pulseStep();
    controlPlane.failure = null;
    host.transfer.set(KEYS[2] as string, [1000, 2011]);
    await daemon.pulseStep();
    expect(controlPlane.pulses.at(-1)?.tenantBytes).toEqual([{ tenantId: T2, bytes: 4 }]);
  });
});

describe('NodeDaemon: announcements', () => {
  it('applies the next generation at once, as a diff', async () => {
    const { host, daemon, controlPlane } = await started();
    await daemon.onPeersChanged({ nodeId: 'node-1', generation: 2, added: [peer(2)], removed: [KEYS[0]] });
    expect(host.peerSets()).toEqual([['wg', 'set', 'wg0', 'peer', KEYS[0], 'remove', 'peer', KEYS[2], 'allowed-ips', '100.64.0.4/32']]);
    expect(daemon.appliedGeneration).toBe(2);
    expect(controlPlane.desiredCalls).toBe(1);
  });

  it('ignores announcements for other nodes and stale generations', async () => {
    const { host, daemon, reconcileRequests } = await started();
    await daemon.onPeersChanged({ nodeId: 'node-2', generation: 2, added: [peer(2)], removed: [] });
    await daemon.onPeersChanged({ nodeId: 'node-1', generation: 1, added: [peer(2)], removed: [] });
    expect(host.calls).toEqual([]);
    expect(reconcileRequests).toEqual([]);
  });

  it('reconciles instead of applying when an announcement was missed', async () => {
    const { host, daemon, reconcileRequests } = await started();
    await daemon.onPeersChanged({ nodeId: 'node-1', generation: 4, added: [peer(2)], removed: [] });
    expect(host.calls).toEqual([]);
    expect(reconcileRequests).toEqual(['announcement 4 does not follow 1']);
  });
});

describe('NodeDaemon: config-service unreachable (fail static)', () => {
  it('keeps every peer, backs off with jitter, and recovers', async () => {
    const { host, controlPlane, daemon, random, registry } = await started();
    controlPlane.failure = 'unavailable';
    random.mockReturnValue(0);
    const waits = [];
    for (let i = 0; i < 8; i++) waits.push(await daemon.controlStep());
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(host.peerSets()).toEqual([]);
    expect(host.link!.peers.size).toBe(2);
    expect(await metricValue(registry, 'phoenix_node_control_plane_up')).toBe(0);
    controlPlane.failure = null;
    expect(await daemon.controlStep()).toBe(SETTINGS.reconcileIntervalMs);
    random.mockReturnValue(1);
    controlPlane.failure = 'unavailable';
    expect(await daemon.controlStep()).toBe(1000);
  });

  it('restores a lost interface with the last known peers while config-service is down', async () => {
    const { host, controlPlane, userspace, daemon } = await started();
    controlPlane.failure = 'unavailable';
    userspace.kill();
    await daemon.heal();
    await daemon.controlStep();
    expect([...host.link!.peers.keys()].sort()).toEqual([KEYS[0], KEYS[1]].sort());
  });

  it('after a restart with config-service down, serves the peers remembered in the state directory', async () => {
    const { controlPlane, userspace, build, host } = await started();
    controlPlane.failure = 'unavailable';
    userspace.kill(); // a reboot
    const after = build();
    await after.init();
    await after.heal();
    await after.controlStep();
    expect([...host.link!.peers.keys()].sort()).toEqual([KEYS[0], KEYS[1]].sort());
  });

  it('never removes live peers while it has never learnt a desired set', async () => {
    const { host, controlPlane, daemon } = setup();
    controlPlane.failure = 'unavailable';
    host.createLink();
    host.link!.hasKey = true;
    host.link!.listenPort = 51820;
    host.link!.peers.set(KEYS[0], ['100.64.0.2/32']);
    await daemon.init();
    await daemon.heal();
    await daemon.controlStep();
    expect(host.peerSets()).toEqual([]);
    expect(host.link!.peers.size).toBe(1);
  });
});

describe('NodeDaemon: decommission and shutdown', () => {
  it('shuts the interface and removes the firewall when the peers endpoint answers 410', async () => {
    const { host, userspace, controlPlane, daemon, store } = await started();
    const decommissioned = jest.fn();
    daemon.onDecommissioned = decommissioned;
    controlPlane.failure = 'gone';
    expect(await daemon.controlStep()).toBe(Infinity);
    expect(userspace.pid).toBeNull();
    expect(host.link).toBeNull();
    expect(host.nftTable).toBeNull();
    expect(decommissioned).toHaveBeenCalledTimes(1);
    expect(store.snapshot.decommissioned).toBe(true);
    expect(daemon.dataplaneHealthy()).toBe(false);
    // It stays down: no heal brings it back, also after a restart.
    await daemon.heal();
    expect(host.link).toBeNull();
    expect(await daemon.pulseStep()).toBe(Infinity);
  });

  it('shuts the interface when an announcement says decommissioned', async () => {
    const { host, daemon } = await started();
    await daemon.onPeersChanged({ nodeId: 'node-1', generation: 2, added: [], removed: [], decommissioned: true });
    expect(host.link).toBeNull();
    expect(daemon.isDecommissioned).toBe(true);
  });

  it('a decommissioned node does not bring the interface back after a restart', async () => {
    const { host, controlPlane, daemon, build } = await started();
    controlPlane.failure = 'gone';
    await daemon.controlStep();
    const after = build();
    await after.init();
    await after.heal();
    expect(host.link).toBeNull();
    expect(await after.controlStep()).toBe(Infinity);
  });

  it('leaves the interface, its peers and wireguard-go in place on shutdown', async () => {
    const { host, userspace, daemon } = await started();
    await daemon.shutdown();
    expect(host.calls).toEqual([]);
    expect(userspace.stops).toBe(0);
    expect(host.link!.peers.size).toBe(2);
    expect(host.nftTable).not.toBeNull();
  });
});

describe('Backoff', () => {
  it('doubles up to the cap, with the wait always within [ceiling/2, ceiling]', () => {
    for (const r of [0, 0.25, 0.999, 1]) {
      const backoff = new Backoff(1000, 8000, () => r);
      const waits = Array.from({ length: 6 }, () => backoff.next());
      const ceilings = [1000, 2000, 4000, 8000, 8000, 8000];
      waits.forEach((w, i) => {
        expect(w).toBeGreaterThanOrEqual(ceilings[i]! / 2);
        expect(w).toBeLessThanOrEqual(ceilings[i]!);
      });
    }
  });

  it('spreads retries of different nodes (jitter) and starts over after reset', () => {
    const a = new Backoff(1000, 60_000, () => 0.1);
    const b = new Backoff(1000, 60_000, () => 0.9);
    expect(a.next()).not.toBe(b.next());
    a.next();
    a.reset();
    expect(a.failures).toBe(0);
    expect(a.next()).toBe(550);
  });
});

describe('ControlPlaneError', () => {
  it('carries the failure kind the daemon decides on', () => {
    expect(new ControlPlaneError('gone', 'x', 410)).toMatchObject({ failure: 'gone', status: 410 });
  });
});

describe('NodeDaemon: conditional periodic reconciles (304 for the generation held)', () => {
  /** A started node whose control plane answers 304 to a pull naming the current generation. */
  async function conditional(peers = [peer(0), peer(1)]) {
    const ctx = await started({}, peers);
    ctx.controlPlane.conditional = true;
    return ctx;
  }

  it('pulls the whole set first, then sends the generation it holds; a 304 keeps the held set and applies it again', async () => {
    const { host, controlPlane, daemon, store, registry } = await conditional();
    expect(controlPlane.heldGenerations).toEqual([undefined]);
    const snapshot = structuredClone(store.snapshot);
    // A peer removed from the interface by hand comes back although config-service sent no set.
    host.link!.peers.delete(KEYS[0] as string);
    expect(await daemon.controlStep()).toBe(SETTINGS.reconcileIntervalMs);
    expect(controlPlane.heldGenerations).toEqual([undefined, 1]);
    expect([...host.link!.peers.keys()].sort()).toEqual([KEYS[0], KEYS[1]].sort());
    expect(host.argv('wg')).toContainEqual(['wg', 'show', 'wg0', 'dump']);
    expect(daemon.appliedGeneration).toBe(1);
    expect(store.snapshot).toEqual(snapshot); // the held set stays as it was
    expect(await metricValue(registry, 'phoenix_node_peer_set_pulls_total', { answer: 'not-modified' })).toBe(1);
    expect(await metricValue(registry, 'phoenix_node_peer_set_pulls_total', { answer: 'full' })).toBe(1);
    expect(await metricValue(registry, 'phoenix_node_reconciles_total')).toBe(2);
  });

  it('lets a held peer whose lease expired go on a 304', async () => {
    const { host, controlPlane, daemon, clock } = await conditional([peer(0, '2030-01-01T00:10:00.000Z'), peer(1)]);
    expect([...host.link!.peers.keys()].sort()).toEqual([KEYS[0], KEYS[1]].sort());
    clock.t = Date.parse('2030-01-01T00:11:00.000Z');
    await daemon.controlStep();
    expect(controlPlane.heldGenerations.at(-1)).toBe(1);
    expect([...host.link!.peers.keys()]).toEqual([KEYS[1]]);
  });

  it('takes the whole set when the generation moved on (200 to the conditional pull)', async () => {
    const { host, controlPlane, daemon } = await conditional();
    controlPlane.generation = 2;
    controlPlane.peers = [peer(1), peer(2)];
    await daemon.controlStep();
    expect(controlPlane.heldGenerations).toEqual([undefined, 1]);
    expect(daemon.appliedGeneration).toBe(2);
    expect([...host.link!.peers.keys()].sort()).toEqual([KEYS[1], KEYS[2]].sort());
  });

  it('pulls the whole set for a reconcile asked for: a gap in the announcements, a pulse with another generation', async () => {
    const { controlPlane, daemon, reconcileRequests } = await conditional();
    await daemon.onPeersChanged({ nodeId: 'node-1', generation: 4, added: [peer(2)], removed: [] });
    expect(reconcileRequests).toEqual(['announcement 4 does not follow 1']);
    await daemon.controlStep();
    expect(controlPlane.heldGenerations).toEqual([undefined, undefined]);
    await daemon.controlStep(); // periodic again
    expect(controlPlane.heldGenerations.at(-1)).toBe(1);

    controlPlane.generation = 3;
    await daemon.pulseStep();
    await daemon.controlStep();
    expect(controlPlane.heldGenerations.at(-1)).toBeUndefined();
    expect(daemon.appliedGeneration).toBe(3);
    await daemon.controlStep();
    expect(controlPlane.heldGenerations.at(-1)).toBe(3);
  });

  it('still pulls the whole set every FULL_PULL_EVERY-th periodic reconcile (a lease no generation announced)', async () => {
    const { host, controlPlane, daemon } = await conditional();
    for (let i = 1; i < FULL_PULL_EVERY; i++) await daemon.controlStep();
    // config-service holds a lease its replica never announced: same generation, one more peer.
    controlPlane.peers = [peer(0), peer(1), peer(2)];
    await daemon.controlStep();
    expect(controlPlane.heldGenerations).toEqual([undefined, ...Array<number>(FULL_PULL_EVERY - 1).fill(1), undefined]);
    expect(host.link!.peers.has(KEYS[2] as string)).toBe(true);
    await daemon.controlStep();
    expect(controlPlane.heldGenerations.at(-1)).toBe(1);
  });

  it('fails static on a failed conditional pull, and registers again (then pulls fully) when its token is refused', async () => {
    const { host, controlPlane, daemon } = await conditional();
    controlPlane.failure = 'unavailable';
    expect(await daemon.controlStep()).toBeGreaterThan(0);
    expect(host.link!.peers.size).toBe(2);
    controlPlane.failure = 'unauthorized';
    await daemon.controlStep();
    controlPlane.failure = null;
    await daemon.controlStep();
    expect(controlPlane.registrations).toHaveLength(2);
    expect(controlPlane.heldGenerations.at(-1)).toBeUndefined();
  });
});
