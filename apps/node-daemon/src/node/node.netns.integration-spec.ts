// The node-daemon's data plane through real WireGuard tunnels, in network namespaces.
//
// Structure: the daemon's NestJS application runs in this Jest process (root namespace): its
// HTTP client talks to a config-service stand-in on 127.0.0.1 and its Redis subscriber to the
// local stack's Redis, while every `wg`/`ip`/`nft`/`sysctl` command and its wireguard-go run
// inside the "node" namespace (`NetnsRunner` + `ip netns exec`). Two "client" namespaces run
// their own wireguard-go as real peers, and an "internet" namespace runs a UDP echo server that
// reports the source address it sees.
//
//   client1 198.18.1.2 ─veth─ 198.18.1.1 ┐
//   client2 198.18.2.2 ─veth─ 198.18.2.1 ├ node (wg, nft)  198.18.3.1 ─veth─ 198.18.3.2 internet
//                                         ┘
// Fails (never skips) when not root or when ip netns, /dev/net/tun or wireguard-go is missing.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcess } from 'node:child_process';
import { ClientProxyFactory } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp, PeersChangedEvent, peersChangedChannel, redisClientOptions } from '@phoenix/common';
import { sideRedisUrl } from '@phoenix/common/testing';
import { encodeWireGuardKey, netnsArgv, parseWgDump } from '@phoenix/wireguard';
import { lastValueFrom } from 'rxjs';
import { ConfigServiceStandIn } from '../../test/config-service.stand-in';
import { assertNamespaceSupport, eventually, NetnsLab, pidsWithArgv } from '../../test/netns';
import { AppModule } from '../app.module';
import { loadNodeConfig } from '../config';
import { generatePrivateKey, publicKeyOf } from './node-state.store';

const ENROLLMENT = 'netns-test-enrollment-token-0123456789';
const FAR_FUTURE = '2999-01-01T00:00:00.000Z';
const NODE_V4 = '100.64.0.1';
const NODE_V6 = 'fd00:6a:1::1';
const INTERNET = '198.18.3.2';
const ECHO_PORT = 7777;

interface Client {
  ns: string;
  iface: string;
  publicKey: string;
  v4: string;
  v6: string;
}

describe('node-daemon in network namespaces (wireguard-go, nftables)', () => {
  const lab = new NetnsLab();
  const standIn = new ConfigServiceStandIn(ENROLLMENT);
  let stateDir = '';
  let nodeNs = '';
  let egress = '';
  let iface = '';
  let app: NestFastifyApplication | null = null;
  let base = '';
  let client1: Client;
  let client2: Client;
  let echo: ChildProcess | null = null;

  const desiredPeer = (c: Client) => ({ publicKey: c.publicKey, allowedIps: [`${c.v4}/32`, `${c.v6}/128`], expiresAt: FAR_FUTURE });
  const pidFile = () => join(stateDir, `wireguard-go.${iface}.pid`);
  const daemonWgPid = () => Number.parseInt(readFileSync(pidFile(), 'utf8'), 10);
  /** The interface's index: a link made again gets a new one. */
  const ifindex = async () => Number(/^(\d+):/.exec((await lab.run(nodeNs, 'ip', ['-o', 'link', 'show', 'dev', iface])).stdout)?.[1]);
  const nodePeers = async () => parseWgDump((await lab.run(nodeNs, 'wg', ['show', iface, 'dump'])).stdout).peers.map((p) => p.publicKey);

  async function startDaemon(): Promise<void> {
    const config = loadNodeConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      CONFIG_SERVICE_URL: standIn.url,
      NODE_ENROLLMENT_TOKEN: ENROLLMENT,
      REDIS_URL: sideRedisUrl('node-daemon'), // the node's Redis user: announcements only
      NODE_STATE_DIR: stateDir,
      WG_MODE: 'userspace',
      WG_INTERFACE: iface,
      WG_LISTEN_PORT: '51820',
      NODE_PUBLIC_HOST: '198.18.1.1',
      NODE_LOCATION: 'xx-lab',
      NODE_CAPACITY: '100',
      TUNNEL_CIDR_V4: '100.64.0.0/16',
      TUNNEL_CIDR_V6: 'fd00:6a:1::/64',
      EGRESS_INTERFACE: egress,
      NODE_ADMIN_TCP_PORTS: '',
      RECONCILE_INTERVAL_SEC: '1',
      BACKOFF_MAX_SEC: '2',
    });
    app = await createServiceApp({
      service: 'node-daemon',
      module: AppModule.forRoot(config, { runner: lab.runner(nodeNs), wrapArgv: (cmd, args) => netnsArgv(nodeNs, cmd, args) }),
      port: 0,
      host: '127.0.0.1',
      description: 'netns test',
    });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    lab.track(daemonWgPid());
  }

  async function stopDaemon(): Promise<void> {
    const running = app;
    app = null;
    await running?.close();
  }

  async function addClient(role: string, n: number, underlay: string): Promise<Client> {
    const ns = await lab.addNamespace(role);
    await lab.link(nodeNs, `198.18.${n}.1/24`, ns, `${underlay}/24`);
    const privateKey = encodeWireGuardKey(generatePrivateKey());
    const keyFile = join(stateDir, `${role}.key`);
    await writeFile(keyFile, `${privateKey}\n`, { mode: 0o600 });
    const client: Client = { ns, iface: `phx${lab.tag}c${n}`, publicKey: publicKeyOf(privateKey), v4: `100.64.0.${n + 1}`, v6: `fd00:6a:1::${n + 1}` };
    lab.trackInterface(client.iface);
    const wg = lab.spawn(ns, 'wireguard-go', ['-f', client.iface]);
    expect(await eventually(() => lab.succeeds(ns, 'wg', ['show', client.iface]), 50, 100)).toBe(true);
    lab.track(wg.pid);
    return client;
  }

  async function connectClient(c: Client, nodePublicKey: string, n: number): Promise<void> {
    await lab.run(c.ns, 'wg', [
      'set', c.iface, 'private-key', join(stateDir, `${c.ns.split('-')[1]}.key`),
      'peer', nodePublicKey, 'endpoint', `198.18.${n}.1:51820`, 'allowed-ips', '100.64.0.0/16,fd00:6a:1::/64,198.18.3.0/24',
    ]);
    await lab.run(c.ns, 'ip', ['address', 'add', `${c.v4}/32`, 'dev', c.iface]);
    await lab.run(c.ns, 'ip', ['-6', 'address', 'add', `${c.v6}/128`, 'dev', c.iface, 'nodad']);
    await lab.run(c.ns, 'ip', ['link', 'set', c.iface, 'up']);
    await lab.run(c.ns, 'ip', ['route', 'add', '100.64.0.0/16', 'dev', c.iface, 'src', c.v4]);
    await lab.run(c.ns, 'ip', ['route', 'add', '198.18.3.0/24', 'dev', c.iface, 'src', c.v4]);
    await lab.run(c.ns, 'ip', ['-6', 'route', 'add', 'fd00:6a:1::/64', 'dev', c.iface, 'src', c.v6]);
  }

  /** Sends one UDP datagram from `ns` to the internet's echo server; resolves with the source address it saw, or null. */
  async function echoSource(ns: string): Promise<string | null> {
    const script = `const d=require('dgram').createSocket('udp4');setTimeout(()=>process.exit(2),1500);d.on('message',(m)=>{process.stdout.write(m.toString());process.exit(0)});d.send('who',${ECHO_PORT},'${INTERNET}')`;
    try {
      return (await lab.run(ns, process.execPath, ['-e', script])).stdout.trim();
    } catch {
      return null;
    }
  }

  beforeAll(async () => {
    assertNamespaceSupport();
    stateDir = await mkdtemp(join(tmpdir(), 'phx-node-state-'));
    iface = `phx${lab.tag}n`;
    lab.trackInterface(iface);
    await standIn.start();
    nodeNs = await lab.addNamespace('node');
    const inet = await lab.addNamespace('inet');
    [egress] = await lab.link(nodeNs, '198.18.3.1/24', inet, `${INTERNET}/24`);
    client1 = await addClient('cl1', 1, '198.18.1.2');
    client2 = await addClient('cl2', 2, '198.18.2.2');
    echo = lab.spawn(inet, process.execPath, [
      '-e',
      `const d=require('dgram').createSocket('udp4');d.on('message',(m,r)=>d.send(r.address,r.port,r.address));d.bind(${ECHO_PORT},'${INTERNET}',()=>console.log('ready'))`,
    ]);
    await new Promise<void>((resolve, reject) => {
      echo!.stdout!.once('data', () => resolve());
      echo!.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
    });
    // Client 1 is a lease from the start; client 2 comes later through an announcement.
    standIn.setPeers([desiredPeer(client1)]);
    await startDaemon();
  });

  afterAll(async () => {
    await stopDaemon().catch(() => undefined);
    await standIn.stop();
    try {
      lab.track(daemonWgPid());
    } catch {
      // no pid file
    }
    for (const pid of pidsWithArgv('wireguard-go', iface)) lab.track(pid);
    await lab.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('registers with config-service using the enrollment token and its own public key', async () => {
    expect(await eventually(() => standIn.registeredKey !== null)).toBe(true);
    const register = standIn.requests.find((r) => r.path === '/nodes/register');
    expect(register?.authorization).toBe(`Bearer ${ENROLLMENT}`);
    const body = register?.body as Record<string, unknown>;
    const key = readFileSync(join(stateDir, 'private.key'), 'utf8').trim();
    expect(body).toEqual({
      publicKey: publicKeyOf(key),
      endpoint: { host: '198.18.1.1', port: 51820 },
      location: 'xx-lab',
      capacity: 100,
      tunnelCidrV4: '100.64.0.0/16',
      tunnelCidrV6: 'fd00:6a:1::/64',
      ephemeral: false,
      version: expect.any(String),
    });
    expect(await eventually(async () => (await nodePeers()).includes(client1.publicKey))).toBe(true);
  });

  it('is ready once the interface and the verified firewall are in place', async () => {
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { 'config-service': 'up', wireguard: 'up' } });
    const table = (await lab.run(nodeNs, 'nft', ['list', 'table', 'inet', 'phoenix'])).stdout;
    expect(table).toContain(`oifname "${egress}" ip saddr 100.64.0.0/16 masquerade`);
  });

  it('client 1 pings the node through the tunnel, over IPv4 and IPv6', async () => {
    await connectClient(client1, standIn.registeredKey!, 1);
    expect(await lab.pingEventually(client1.ns, NODE_V4)).toBe(true);
    expect(await lab.pingEventually(client1.ns, NODE_V6)).toBe(true);
  });

  it("sends client traffic to the internet NAT-ed behind the node's underlay address", async () => {
    expect(await echoSource(client1.ns)).toBe('198.18.3.1');
  });

  it('applies a peer announced on the Redis transport, without asking config-service', async () => {
    await connectClient(client2, standIn.registeredKey!, 2);
    expect(await lab.ping(client2.ns, NODE_V4)).toBe(false);
    // config-service is down: only the announcement can add client 2.
    standIn.mode = 'down';
    const generation = standIn.setPeers([desiredPeer(client1), desiredPeer(client2)]);
    const event: PeersChangedEvent = { nodeId: standIn.nodeId, generation, added: [desiredPeer(client2)], removed: [] };
    // Published as config-service publishes it, with the network side's Redis user.
    const publisher = ClientProxyFactory.create(redisClientOptions('peers', sideRedisUrl('config-service')) as never);
    try {
      // Re-sent until seen (the subscription may still be settling); duplicates are ignored by generation.
      const seen = await eventually(async () => {
        // On this node's own channel, the one it subscribed to once registered.
        await lastValueFrom(publisher.emit(peersChangedChannel(standIn.nodeId), event), { defaultValue: undefined });
        return eventually(async () => (await nodePeers()).includes(client2.publicKey), 5, 200);
      }, 10, 0);
      expect(seen).toBe(true);
      // Applied as a change of its own: one journal line, not a rewritten snapshot.
      const journal = readFileSync(join(stateDir, 'state.journal'), 'utf8');
      expect(journal).toContain(`"generation":${generation}`);
      expect(journal).toContain(client2.publicKey);
    } finally {
      await publisher.close();
    }
    expect(await lab.pingEventually(client2.ns, NODE_V4)).toBe(true);
    standIn.mode = 'up';
  });

  it('keeps clients apart: client 1 cannot reach client 2', async () => {
    expect(await lab.pingEventually(client2.ns, NODE_V4)).toBe(true);
    expect(await lab.ping(client1.ns, client2.v4)).toBe(false);
    expect(await lab.ping(client1.ns, client2.v6)).toBe(false);
    expect(await lab.ping(client1.ns, NODE_V4)).toBe(true);
  });

  it('pulses real figures: peer count and transfer summed from the interface', async () => {
    const pulsed = await eventually(() => {
      const last = standIn.pulses().at(-1)?.body as { peers: number; rxBytes: number; txBytes: number } | undefined;
      return last !== undefined && last.peers === 2 && last.rxBytes > 0 && last.txBytes > 0;
    });
    expect(pulsed).toBe(true);
    const pulse = standIn.pulses().at(-1)!;
    expect(pulse.authorization).toMatch(/^Bearer .{16,}/);
    expect(pulse.authorization).not.toContain(ENROLLMENT);
    expect(pulse.body).toEqual({ load: expect.any(Number), peers: 2, rxBytes: expect.any(Number), txBytes: expect.any(Number), cpu: expect.any(Number), healthy: true });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/phoenix_node_peers\{service="node-daemon"\} 2/);
    expect(metrics).toMatch(/phoenix_node_reconciles_total\{service="node-daemon"\} [1-9]/);
    expect(metrics).toMatch(/phoenix_node_last_reconcile_timestamp_seconds\{service="node-daemon"\} \d/);
  });

  it('pulls conditionally on its periodic reconciles, and a 304 still puts back a peer removed from the interface by hand', async () => {
    const conditional = () => standIn.requests.filter((r) => r.path.endsWith('/peers') && r.ifNoneMatch !== undefined);
    expect(await eventually(() => conditional().some((r) => r.status === 304 && r.ifNoneMatch === `"${standIn.generation}"`))).toBe(true);
    const notModified = () => conditional().filter((r) => r.status === 304).length;
    await lab.run(nodeNs, 'wg', ['set', iface, 'peer', client1.publicKey, 'remove']);
    const before = notModified();
    expect(await eventually(async () => (await nodePeers()).includes(client1.publicKey) && notModified() > before)).toBe(true);
    expect(await lab.pingEventually(client1.ns, NODE_V4)).toBe(true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/phoenix_node_peer_set_pulls_total\{[^}]*answer="not-modified"[^}]*\} [1-9]/);
  });

  it('re-applies the firewall when it drifts', async () => {
    await lab.run(nodeNs, 'nft', ['delete', 'table', 'inet', 'phoenix']);
    expect(await eventually(() => lab.succeeds(nodeNs, 'nft', ['list', 'table', 'inet', 'phoenix']))).toBe(true);
    expect(await echoSource(client1.ns)).toBe('198.18.3.1');
  });

  it('restores the interface and every peer when wireguard-go is killed', async () => {
    const before = daemonWgPid();
    const linkBefore = await ifindex();
    expect(linkBefore).toBeGreaterThan(0);
    process.kill(before, 'SIGKILL');
    // The daemon heals every interval (1 s here): a bound of 10 s leaves room for a loaded machine.
    expect(await eventually(async () => daemonWgPid() !== before && (await nodePeers().catch(() => [])).length === 2, 40, 250)).toBe(true);
    // The link went with the process and this is a new one (polling for the gap would race the heal).
    expect(await ifindex()).not.toBe(linkBefore);
    // The clients' old sessions died with the process; each client re-handshakes on its own
    // timer (WireGuard's REKEY_TIMEOUT + KEEPALIVE_TIMEOUT = 15 s), which bounds this wait.
    expect(await lab.pingEventually(client1.ns, NODE_V4, 40)).toBe(true);
    lab.track(daemonWgPid());
    expect((await nodePeers()).sort()).toEqual([client1.publicKey, client2.publicKey].sort());
    expect(await lab.pingEventually(client2.ns, NODE_V4, 40)).toBe(true);
  });

  it('keeps peers working while config-service is down, and restores them from its own state', async () => {
    standIn.mode = 'down';
    try {
      const before = daemonWgPid();
      process.kill(before, 'SIGKILL');
      expect(await eventually(async () => daemonWgPid() !== before && (await nodePeers().catch(() => [])).length === 2, 40, 250)).toBe(true);
      lab.track(daemonWgPid());
      expect((await nodePeers()).sort()).toEqual([client1.publicKey, client2.publicKey].sort());
      expect(await lab.pingEventually(client1.ns, NODE_V4, 40)).toBe(true);
      expect((await fetch(`${base}/health/ready`)).status).toBe(503);
    } finally {
      standIn.mode = 'up';
    }
  });

  it('stops passing traffic for a peer removed from the desired set', async () => {
    standIn.setPeers([desiredPeer(client1)]);
    expect(await eventually(async () => !(await nodePeers()).includes(client2.publicKey))).toBe(true);
    expect(await lab.ping(client2.ns, NODE_V4)).toBe(false);
    expect(await echoSource(client2.ns)).toBeNull();
    expect(await lab.ping(client1.ns, NODE_V4)).toBe(true);
  });

  it('leaves the interface, its peers and wireguard-go running on shutdown, and a restart adopts them', async () => {
    const pid = daemonWgPid();
    await stopDaemon();
    expect(pidsWithArgv('wireguard-go', iface)).toEqual([pid]);
    expect(await nodePeers()).toEqual([client1.publicKey]);
    expect(await lab.ping(client1.ns, NODE_V4)).toBe(true);

    await startDaemon();
    expect(daemonWgPid()).toBe(pid);
    expect(pidsWithArgv('wireguard-go', iface)).toEqual([pid]);
    expect(await lab.ping(client1.ns, NODE_V4)).toBe(true);
    const registrations = standIn.requests.filter((r) => r.path === '/nodes/register');
    expect(registrations.length).toBeGreaterThanOrEqual(2);
    expect(new Set(registrations.map((r) => (r.body as { publicKey: string }).publicKey)).size).toBe(1);
  });

  it('shuts the interface when config-service says the node is decommissioned', async () => {
    const pid = daemonWgPid();
    standIn.mode = 'decommissioned';
    expect(await eventually(async () => !(await lab.succeeds(nodeNs, 'ip', ['link', 'show', 'dev', iface])), 50, 200)).toBe(true);
    expect(await eventually(() => pidsWithArgv('wireguard-go', iface).length === 0, 20, 100)).toBe(true);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await lab.succeeds(nodeNs, 'nft', ['list', 'table', 'inet', 'phoenix'])).toBe(false);
    expect(await lab.ping(client1.ns, NODE_V4)).toBe(false);
    expect((await fetch(`${base}/health/ready`)).status).toBe(503);
  });
});
