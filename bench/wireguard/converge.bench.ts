/**
 * WireGuard benchmark, as root, in two parts measured in the same run.
 *
 * 1. Convergence: how fast node-daemon's batched way (one `wg set` call per up to 1,000 peers,
 *    from `diffPeers` + `wgApplyPeerDiff`, dump and diff included) takes an interface from 0 to
 *    10,000 peers and back — the baseline of this benchmark — beside one `wg set` per peer, and
 *    how long one new peer takes that way (dump + diff + one `wg set`) on a node that already has
 *    10,000. One `wg set` per peer runs on all 10,000 peers while a 60 s budget per direction
 *    lasts; on a slower machine the rest is extrapolated linearly from the peers done (each call
 *    does the same work) and the output says so.
 * 2. The node-daemon itself (`NodeDaemon`, its real state directory and command runner, an
 *    in-memory control plane): a full reconcile to 10 and to 10,000 peers; one announced peer
 *    applied on the incremental path (journal line + `wg set` for that peer, no dump) at 10 and
 *    at 10,000 peers — target: at 10,000 peers, median < 1/100 of the batched 0 → 10,000 of part
 *    1; and announcement → peer live: the time from the `PUBLISH` of a `peers-changed` event on
 *    the local stack's Redis (as config-service's user, as config-service sends it) until the
 *    daemon's `wg set` for that peer has returned (wireguard-go then answers the peer's handshake),
 *    received by the daemon's own subscriber (`RedisPeerEvents`, as the node's Redis user), p50
 *    and p99 at 10 and at 10,000 peers. config-service publishes before it answers the `200` of
 *    `POST /vpn/config`, so this bounds "200 → live" from above, config-service's own work
 *    excluded. The heal, control and pulse loops do not run during it; what one periodic full
 *    reconcile holds the lock for at 10,000 peers is printed beside it.
 *
 *   npm run bench -- wireguard      (or: node -r @swc-node/register bench/wireguard/converge.bench.ts)
 *
 * It creates its own network namespace (`phx-bench-<random>`) with a wireguard-go interface,
 * re-runs itself inside it (so every `wg` call costs what it costs on a node, without an
 * `ip netns exec` per call), and deletes the namespace and the process at the end, also on
 * failure. Redis listens on 127.0.0.1 of the root namespace: the parent relays a unix socket in
 * the run's temporary directory to it (a file-system path works from any network namespace).
 * Peers use random keys and 100.64.0.0/10 host addresses. Every loop is bounded; the whole run
 * stays within about four minutes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { Clock, DesiredPeer, Patterns, PeersChangedEvent } from '@phoenix/common';
import { sideRedisUrl } from '@phoenix/common/testing';
import { CommandResult, CommandRunner, diffPeers, encodeWireGuardKey, ExecFileRunner, PeerSpec, RunOptions, wgApplyPeerDiff, wgShowDump } from '@phoenix/wireguard';
import { ControlPlane, DesiredState } from '../../apps/node-daemon/src/control-plane/control-plane';
import { RedisPeerEvents } from '../../apps/node-daemon/src/control-plane/peer-events.subscriber';
import { NodeDaemon } from '../../apps/node-daemon/src/node/node-daemon.service';
import { NodeMetrics } from '../../apps/node-daemon/src/node/node.metrics';
import { NodeSettings } from '../../apps/node-daemon/src/node/node-settings';
import { FileNodeStore } from '../../apps/node-daemon/src/node/node-state.store';
import { assertNamespaceSupport, NetnsLab } from '../../apps/node-daemon/test/netns';
import { median, stackEnv } from '../support';

const PEERS = 10_000;
const SMALL = 10;
const PER_PEER_BUDGET_MS = 60_000; // per direction
const ONE_MORE_REPS = 5;
const DIRECT_REPS = 100; // announced add + announced removal, per size
const LIVE_REPS = 300; // published add + published removal, per size
const LIVE_TIMEOUT_MS = 5000;
const CHILD_FLAG = 'PHX_BENCH_IFACE';
const SOCKET_FLAG = 'PHX_BENCH_REDIS_SOCKET';
const STATE_FLAG = 'PHX_BENCH_STATE_DIR';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`);
const count = (n: number) => n.toLocaleString('en');

/** Nearest-rank quantile. */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

let nextHost = 2; // 100.64.0.2 onwards, inside 100.64.0.0/10; never reused within a run
function randomPeers(n: number): DesiredPeer[] {
  return Array.from({ length: n }, () => {
    const host = nextHost++;
    return {
      publicKey: encodeWireGuardKey(new Uint8Array(randomBytes(32))),
      allowedIps: [`100.${64 + (host >> 16)}.${(host >> 8) & 255}.${host & 255}/32`],
      expiresAt: '2999-01-01T00:00:00.000Z',
    };
  });
}

interface Batched {
  upMs: number;
  /** One new peer at 10,000 the full way (dump + diff + one wg set), median. */
  oneMoreMs: number;
  lines: string[];
}

/** Part 1, inside the namespace: the library's batched way against one `wg set` per peer. */
async function measureBatched(iface: string): Promise<Batched> {
  const runner = new ExecFileRunner({ timeoutMs: 120_000 });
  const converge = async (desired: PeerSpec[]) => {
    const start = process.hrtime.bigint();
    const dump = await wgShowDump(runner, iface);
    const calls = await wgApplyPeerDiff(runner, iface, diffPeers(desired, dump.peers));
    return { ms: ms(start), calls };
  };
  const peerCount = async () => (await wgShowDump(runner, iface)).peers.length;

  const peers = randomPeers(PEERS);
  const up = await converge(peers);
  if ((await peerCount()) !== PEERS) throw new Error('batched: interface did not reach 10,000 peers');

  const oneMore: number[] = [];
  for (let i = 0; i < ONE_MORE_REPS; i++) {
    const r = await converge([...peers, ...randomPeers(1)]);
    if (r.calls !== 1) throw new Error('one new peer should be one wg set call');
    oneMore.push(r.ms);
    await converge(peers);
  }

  const down = await converge([]);
  if ((await peerCount()) !== 0) throw new Error('batched: interface did not return to 0 peers');

  // One wg set per peer, on all 10,000 while the time budget lasts; if it runs out, the rest is
  // extrapolated from the peers done (each call does the same work) and the output says so.
  const perPeer = async (list: PeerSpec[], args: (p: PeerSpec) => string[]) => {
    const start = process.hrtime.bigint();
    let done = 0;
    for (const p of list) {
      await runner.run('wg', ['set', iface, ...args(p)]);
      done++;
      if (ms(start) > PER_PEER_BUDGET_MS) break;
    }
    const measured = ms(start);
    // Scaled to all 10,000 (the removals run on the peers the additions got to).
    return { measured, done, scaled: (measured * PEERS) / done, budgetHit: measured > PER_PEER_BUDGET_MS };
  };
  const singleUp = await perPeer(peers, (p) => ['peer', p.publicKey, 'allowed-ips', p.allowedIps.join(',')]);
  const present = new Set((await wgShowDump(runner, iface)).peers.map((p) => p.publicKey));
  const added = peers.filter((p) => present.has(p.publicKey));
  if (added.length !== singleUp.done) throw new Error('per-peer: interface does not hold the peers added');
  const singleDown = await perPeer(added, (p) => ['peer', p.publicKey, 'remove']);
  await converge([]);
  if ((await peerCount()) !== 0) throw new Error('per-peer: interface did not return to 0 peers');

  // The pieces of "one more peer": reading 10,000 peers back is most of it.
  await converge(peers);
  let start = process.hrtime.bigint();
  await wgShowDump(runner, iface);
  const dumpMs = ms(start);
  const [extra] = randomPeers(1);
  start = process.hrtime.bigint();
  await runner.run('wg', ['set', iface, 'peer', extra!.publicKey, 'allowed-ips', extra!.allowedIps.join(',')]);
  const oneSetMs = ms(start);
  await converge([]);

  const describeSingle = (r: { measured: number; done: number; scaled: number; budgetHit: boolean }, what: string) =>
    r.done === PEERS
      ? `  ${what}: ${fmt(r.measured)} (${(r.measured / r.done).toFixed(2)} ms/peer), all ${count(PEERS)} measured`
      : `  ${what}: ${fmt(r.measured)} for ${count(r.done)} peers (${(r.measured / r.done).toFixed(2)} ms/peer; ${r.budgetHit ? `budget of ${PER_PEER_BUDGET_MS / 1000} s reached` : 'as many as were added'}) → scaled ×${(PEERS / r.done).toFixed(2)} to ${fmt(r.scaled)} for ${count(PEERS)}`;
  const singleTotal = singleUp.scaled + singleDown.scaled;
  const batchedTotal = up.ms + down.ms;
  return {
    upMs: up.ms,
    oneMoreMs: median(oneMore),
    lines: [
      `interface ${iface} (wireguard-go, own network namespace), ${count(PEERS)} peers with random keys, 100.64.0.0/10 addresses`,
      '',
      `batched (dump + diffPeers + wgApplyPeerDiff, ≤1,000 peers per wg set):`,
      `  0 → ${count(PEERS)}: ${fmt(up.ms)} in ${up.calls} wg set calls   ← the baseline`,
      `  ${count(PEERS)} → 0: ${fmt(down.ms)} in ${down.calls} wg set calls`,
      `  total: ${fmt(batchedTotal)}`,
      '',
      `one wg set per peer:`,
      describeSingle(singleUp, `0 → ${count(PEERS)}`),
      describeSingle(singleDown, `${count(PEERS)} → 0`),
      `  total: ${fmt(singleTotal)}${singleUp.done === PEERS && singleDown.done === PEERS ? '' : ' (partly extrapolated, see above)'}`,
      '',
      `ratio, 0 → ${count(PEERS)} → 0: one-per-peer / batched = ${(singleTotal / batchedTotal).toFixed(1)}× (batched is faster)`,
      '',
      `one new peer on a node with ${count(PEERS)} the full way (dump + diff + one wg set), median of ${ONE_MORE_REPS}: ${fmt(median(oneMore))} (all: ${oneMore.map(fmt).join(', ')})`,
      `  of which: wg show dump of ${count(PEERS)} peers ${fmt(dumpMs)}, the single wg set ${fmt(oneSetMs)}`,
    ],
  };
}

/** Tells when the `wg set` naming a peer key has returned: the moment the peer is live (or gone). */
class WatchingRunner implements CommandRunner {
  private readonly waiting = new Map<string, (at: bigint) => void>();

  constructor(private readonly inner: CommandRunner) {}

  async run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    const result = await this.inner.run(cmd, args, opts);
    if (cmd === 'wg' && args[0] === 'set' && this.waiting.size > 0) {
      const at = process.hrtime.bigint();
      for (let i = 2; i < args.length - 1; i++) {
        if (args[i] !== 'peer') continue;
        const done = this.waiting.get(args[i + 1] as string);
        if (done === undefined) continue;
        this.waiting.delete(args[i + 1] as string);
        done(at);
      }
    }
    return result;
  }

  /** Resolves with the hrtime at which a `wg set` for `publicKey` returned; rejects after the timeout. */
  applied(publicKey: string): Promise<bigint> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(publicKey);
        reject(new Error(`no wg set for the announced peer within ${LIVE_TIMEOUT_MS} ms`));
      }, LIVE_TIMEOUT_MS);
      this.waiting.set(publicKey, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

/** config-service's node endpoints, in memory: the desired set the benchmark sets. */
class BenchControlPlane implements ControlPlane {
  generation = 1;
  peers: DesiredPeer[] = [];

  constructor(readonly nodeId: string) {}

  async register() {
    return { id: this.nodeId, nodeToken: 'bench-node-token-0123456789abcdef', pulseIntervalSec: 30 };
  }

  async pulse() {
    return { generation: this.generation };
  }

  async desiredPeers(): Promise<DesiredState> {
    return { generation: this.generation, peers: this.peers };
  }
}

/** Part 2, inside the namespace: node-daemon, full reconcile against announced changes. */
async function measureDaemon(iface: string, redisSocket: string, stateDir: string, batched: Batched): Promise<string[]> {
  const env = stackEnv();
  const viaSocket = (url: string) => {
    const u = new URL(url);
    return `${redisSocket}?${new URLSearchParams({ username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) })}`;
  };
  const nodeId = `bench-${randomBytes(4).toString('hex')}`;
  const controlPlane = new BenchControlPlane(nodeId);
  const runner = new WatchingRunner(new ExecFileRunner({ timeoutMs: 120_000 }));
  const settings: NodeSettings = {
    iface,
    mode: 'userspace',
    listenPort: 51999,
    mtu: 1420,
    tunnelCidrV4: '100.64.0.0/10',
    egressInterface: 'lo',
    adminTcpPorts: [],
    publicHost: '198.18.0.1',
    location: 'zz-bench',
    capacity: 20_000,
    ephemeral: true,
    version: 'bench',
    reconcileIntervalMs: 30_000,
    backoffBaseMs: 1000,
    backoffMaxMs: 60_000,
    interfaceStartTimeoutMs: 10_000,
  };
  const quiet = { log: () => undefined, warn: () => undefined, error: (m: string) => process.stderr.write(`daemon: ${m}\n`), debug: () => undefined };
  const daemon = new NodeDaemon(settings, {
    runner,
    controlPlane,
    store: new FileNodeStore(stateDir),
    // The benchmark started wireguard-go itself; the daemon adopts the interface and must not replace it.
    userspace: {
      runningPid: async () => null,
      start: async () => Promise.reject(new Error('the benchmark runs wireguard-go itself')),
      stop: async () => undefined,
    },
    clock: new Clock(),
    random: Math.random,
    stats: { cpuPercent: () => 0 },
    metrics: new NodeMetrics(new Registry()),
    logger: quiet,
  });
  await daemon.init();
  const liveCount = async () => (await wgShowDump(runner, iface)).peers.length;

  let generation = 1;
  let base = randomPeers(SMALL);
  /** A full reconcile to `peers`, timed: fetch, dump, diff, wg set, snapshot. */
  const reconcileTo = async (peers: DesiredPeer[]) => {
    controlPlane.peers = peers;
    controlPlane.generation = ++generation;
    const start = process.hrtime.bigint();
    const wait = await daemon.controlStep();
    const took = ms(start);
    if (wait !== settings.reconcileIntervalMs || daemon.appliedGeneration !== generation) throw new Error('the daemon did not reconcile');
    if ((await liveCount()) !== peers.length) throw new Error(`the interface does not hold the ${peers.length} desired peers`);
    return took;
  };
  const event = (added: DesiredPeer[], removed: string[]): PeersChangedEvent => ({ nodeId, generation: ++generation, added, removed });

  /** Announced changes handed to the daemon directly: an add then its removal, each timed. */
  const direct = async () => {
    const add: number[] = [];
    const remove: number[] = [];
    for (let i = 0; i < DIRECT_REPS; i++) {
      const [p] = randomPeers(1) as [DesiredPeer];
      let start = process.hrtime.bigint();
      await daemon.onPeersChanged(event([p], []));
      add.push(ms(start));
      start = process.hrtime.bigint();
      await daemon.onPeersChanged(event([], [p.publicKey]));
      remove.push(ms(start));
    }
    if (daemon.appliedGeneration !== generation) throw new Error('the daemon did not apply every announced change');
    return { add, remove };
  };

  // Redis: the daemon's own subscriber, and a publisher with config-service's user.
  const events = new RedisPeerEvents(viaSocket(sideRedisUrl('node-daemon', env)));
  const publisher = new Redis(viaSocket(sideRedisUrl('config-service', env)), { maxRetriesPerRequest: 1 });
  const publish = (e: PeersChangedEvent) => publisher.publish(Patterns.PEERS_CHANGED, JSON.stringify({ pattern: Patterns.PEERS_CHANGED, data: e }));
  events.start(
    (e) => void daemon.onPeersChanged(e).catch((error: Error) => process.stderr.write(`announcement failed: ${error.message}\n`)),
    () => undefined,
  );

  /** Published changes: PUBLISH → the daemon's wg set for that peer returned. */
  const published = async () => {
    // The subscription settles first: the same event again until it is applied (duplicates are stale).
    const [warm] = randomPeers(1) as [DesiredPeer];
    const first = event([warm], []);
    let up = false;
    for (let i = 0; i < 50 && !up; i++) {
      const applied = runner.applied(warm.publicKey).then(() => true, () => false);
      await publish(first);
      up = await Promise.race([applied, sleep(200).then(() => false)]);
    }
    if (!up) throw new Error('the daemon never received a published announcement');
    const gone = runner.applied(warm.publicKey);
    await publish(event([], [warm.publicKey]));
    await gone;
    const add: number[] = [];
    const remove: number[] = [];
    for (let i = 0; i < LIVE_REPS; i++) {
      const [p] = randomPeers(1) as [DesiredPeer];
      for (const [e, into] of [[event([p], []), add], [event([], [p.publicKey]), remove]] as const) {
        const applied = runner.applied(p.publicKey);
        const start = process.hrtime.bigint();
        await publish(e);
        into.push(Number((await applied) - start) / 1e6);
      }
    }
    return { add, remove };
  };

  try {
    const toSmall = await reconcileTo(base);
    const smallDirect = await direct();
    const smallLive = await published();

    base = [...base, ...randomPeers(PEERS - SMALL)];
    const toLarge = await reconcileTo(base);
    const largeDirect = await direct();
    const largeLive = await published();
    // The lock a periodic reconcile holds at 10,000 peers when nothing changed (fetch, dump, diff, snapshot).
    controlPlane.peers = base;
    controlPlane.generation = generation;
    const idle: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = process.hrtime.bigint();
      await daemon.reconcile();
      idle.push(ms(start));
    }
    const final = await wgShowDump(runner, iface);
    const want = new Set(base.map((p) => p.publicKey));
    if (final.peers.length !== PEERS || !final.peers.every((p) => want.has(p.publicKey))) throw new Error('the interface does not end with exactly the desired 10,000 peers');

    const oneLarge = median(largeDirect.add);
    const ratio = oneLarge / batched.upMs;
    const pct = (xs: number[]) => `p50 ${fmt(quantile(xs, 0.5))}, p99 ${fmt(quantile(xs, 0.99))}, max ${fmt(Math.max(...xs))}`;
    return [
      `node-daemon (NodeDaemon with its state directory; in-memory control plane; no heal/pulse loops running):`,
      `  full reconcile (fetch, dump, diff, wg set, snapshot): 0 → ${SMALL}: ${fmt(toSmall)}; ${SMALL} → ${count(PEERS)}: ${fmt(toLarge)}; at ${count(PEERS)} with nothing to change: median ${fmt(median(idle))} of 3`,
      `  one announced peer, incremental (journal line + wg set for that peer, no dump), ${DIRECT_REPS} each:`,
      `    at ${SMALL} peers: add median ${fmt(median(smallDirect.add))} (p99 ${fmt(quantile(smallDirect.add, 0.99))}), removal median ${fmt(median(smallDirect.remove))}`,
      `    at ${count(PEERS)} peers: add median ${fmt(oneLarge)} (p99 ${fmt(quantile(largeDirect.add, 0.99))}), removal median ${fmt(median(largeDirect.remove))}`,
      `  announcement → peer live (PUBLISH on Redis → the daemon's wg set for that peer returned), ${LIVE_REPS} adds and ${LIVE_REPS} removals per size:`,
      `    at ${SMALL} peers: add ${pct(smallLive.add)}; removal ${pct(smallLive.remove)}`,
      `    at ${count(PEERS)} peers: add ${pct(largeLive.add)}; removal ${pct(largeLive.remove)}`,
      `    (an announcement that arrives during a periodic full reconcile waits for it: ≈ ${fmt(median(idle))} at ${count(PEERS)} peers, once per RECONCILE_INTERVAL_SEC)`,
      '',
      `ratio, one announced peer at ${count(PEERS)} (incremental, median) / batched 0 → ${count(PEERS)}: ${fmt(oneLarge)} / ${fmt(batched.upMs)} = ${ratio.toFixed(4)} (target < 0.01: ${ratio < 0.01 ? 'met' : 'NOT met'})`,
      `  against one new peer the full way (dump + diff + wg set, part 1): ${fmt(batched.oneMoreMs)} → ${(batched.oneMoreMs / oneLarge).toFixed(0)}× faster`,
    ];
  } finally {
    await events.close();
    publisher.disconnect();
    await daemon.shutdown();
  }
}

/** Inside the namespace: both parts, one report. */
async function measure(iface: string, redisSocket: string, stateDir: string): Promise<void> {
  const batched = await measureBatched(iface);
  const daemon = await measureDaemon(iface, redisSocket, stateDir, batched);
  process.stdout.write(`${[...batched.lines, '', ...daemon].join('\n')}\n`);
}

/** A unix socket in `dir` relayed to Redis on loopback, for the process inside the namespace. */
async function redisRelay(path: string, redisUrl: string): Promise<Server> {
  const { hostname, port } = new URL(redisUrl);
  const server = createServer((client) => {
    const upstream = connect({ host: hostname, port: Number(port) });
    upstream.setNoDelay(true);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, () => resolve()));
  return server;
}

/** In the root namespace: set up, run the measurements inside the namespace, clean up. */
async function main(): Promise<void> {
  assertNamespaceSupport();
  const env = stackEnv();
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), 'phx-bench-'));
  const iface = `phx${lab.tag}bn`;
  let relay: Server | null = null;
  try {
    relay = await redisRelay(join(dir, 'redis.sock'), sideRedisUrl('node-daemon', env));
    const ns = await lab.addNamespace('bench');
    lab.trackInterface(iface);
    const wg = lab.spawn(ns, 'wireguard-go', ['-f', iface]);
    wg.stdout?.resume();
    wg.stderr?.resume();
    let up = false;
    for (let i = 0; i < 50 && !up; i++) {
      up = await lab.succeeds(ns, 'wg', ['show', iface]);
      if (!up) await sleep(100);
    }
    if (!up) throw new Error('wireguard-go did not bring the interface up');
    const keyFile = join(dir, 'bench.key');
    writeFileSync(keyFile, `${encodeWireGuardKey(new Uint8Array(randomBytes(32)))}\n`, { mode: 0o600 });
    await lab.run(ns, 'wg', ['set', iface, 'listen-port', '51999', 'private-key', keyFile]);
    await lab.run(ns, 'ip', ['address', 'add', '100.64.0.1/10', 'dev', iface]);
    await lab.run(ns, 'ip', ['link', 'set', iface, 'up']);

    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, __filename], {
      env: { ...process.env, [CHILD_FLAG]: iface, [SOCKET_FLAG]: join(dir, 'redis.sock'), [STATE_FLAG]: join(dir, 'node-state') },
      stdio: 'inherit',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 230_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`measurement failed (exit ${code ?? 'killed after 230 s'})`);
  } finally {
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const childIface = process.env[CHILD_FLAG];
(childIface ? measure(childIface, process.env[SOCKET_FLAG] as string, process.env[STATE_FLAG] as string) : main()).then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`converge.bench: ${error.message}\n`);
    process.exit(1);
  },
);
