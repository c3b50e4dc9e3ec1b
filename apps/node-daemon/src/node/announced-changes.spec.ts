// The incremental path: an announcement of the next generation is journalled, then set on the
// interface for just its peers (no dump); restarts replay the journal; anything that breaks the
// generation chain ends in a full reconcile.
import type { DesiredPeer, PeersChangedEvent } from '@phoenix/common';
import { FakeClock } from '@phoenix/common/testing';
import { encodeWireGuardKey } from '@phoenix/wireguard';
import { Registry } from 'prom-client';
import { FakeControlPlane, FakeHost, FakeUserspace, KEYS, MemoryStore, NODE_SETTINGS_FIXTURE, peer, silentLogger } from '../../test/fakes';
import { NodeDaemon } from './node-daemon.service';
import { NodeMetrics } from './node.metrics';

/** One node host (interface, wireguard-go, state directory) on which daemons can be started and "crash". */
function node() {
  const host = new FakeHost();
  const userspace = new FakeUserspace(host);
  const store = new MemoryStore();
  const controlPlane = new FakeControlPlane();
  const clock = new FakeClock();
  const reconcileRequests: string[] = [];
  const boot = async () => {
    const daemon = new NodeDaemon(NODE_SETTINGS_FIXTURE, {
      runner: host,
      controlPlane,
      store,
      userspace,
      clock,
      random: () => 0.5,
      stats: { cpuPercent: () => 0 },
      metrics: new NodeMetrics(new Registry()),
      logger: silentLogger,
    });
    daemon.onReconcileRequested = (reason) => reconcileRequests.push(reason);
    await daemon.init();
    await daemon.heal();
    return daemon;
  };
  return { host, userspace, store, controlPlane, clock, reconcileRequests, boot };
}

/** A node started and reconciled at generation 1 with peers 0 and 1. */
async function running() {
  const n = node();
  n.controlPlane.peers = [peer(0), peer(1)];
  const daemon = await n.boot();
  await daemon.controlStep();
  n.host.calls.length = 0;
  return { ...n, daemon };
}

const announce = (generation: number, added: DesiredPeer[], removed: string[] = []): PeersChangedEvent => ({ nodeId: 'node-1', generation, added, removed });
const livePeers = (host: FakeHost) => [...host.link!.peers.keys()].sort();

function manyKey(i: number): string {
  const bytes = new Uint8Array(32);
  bytes[0] = 1 + (i & 0x7f);
  bytes[1] = i >> 7;
  return encodeWireGuardKey(bytes);
}

const manyPeer = (i: number): DesiredPeer => ({ publicKey: manyKey(i), allowedIps: [`100.64.${1 + (i >> 8)}.${i & 255}/32`], expiresAt: '2999-01-01T00:00:00.000Z' });

describe('announced changes: only those peers, journalled first', () => {
  it('sets just the announced peer: no dump, one wg set, one journal line and no snapshot write', async () => {
    const { host, store, daemon } = await running();
    const saves = store.saves;
    await daemon.onPeersChanged(announce(2, [peer(2)]));
    expect(host.argv('wg')).toEqual([['wg', 'set', 'wg0', 'peer', KEYS[2], 'allowed-ips', '100.64.0.4/32']]);
    expect(store.journal).toEqual([{ generation: 2, upserted: [peer(2)], removed: [] }]);
    expect(store.saves).toBe(saves);
    expect(livePeers(host)).toEqual([KEYS[0], KEYS[1], KEYS[2]].sort());
    expect(daemon.appliedGeneration).toBe(2);
  });

  it('journals the change before the interface is touched', async () => {
    const { host, store, daemon } = await running();
    const journalAtWgSet: number[] = [];
    const run = host.run.bind(host);
    host.run = async (cmd, args, opts) => {
      if (cmd === 'wg' && args[0] === 'set') journalAtWgSet.push(store.journal.length);
      return run(cmd, args, opts);
    };
    await daemon.onPeersChanged(announce(2, [peer(2)]));
    expect(journalAtWgSet).toEqual([1]);
  });

  it('removes an announced removal from the interface, and it stays removed across a restart', async () => {
    const n = await running();
    await n.daemon.onPeersChanged(announce(2, [], [KEYS[0]]));
    expect(n.host.peerSets()).toEqual([['wg', 'set', 'wg0', 'peer', KEYS[0], 'remove']]);
    expect(livePeers(n.host)).toEqual([KEYS[1]]);
    n.controlPlane.failure = 'unavailable';
    n.userspace.kill(); // a reboot: the interface is rebuilt from the state directory alone
    const after = await n.boot();
    expect(after.appliedGeneration).toBe(2);
    expect(livePeers(n.host)).toEqual([KEYS[1]]);
  });

  it('does not configure an announced lease that has already expired', async () => {
    const { host, daemon, clock } = await running();
    await daemon.onPeersChanged(announce(2, [peer(2, new Date(clock.nowMs() - 1000).toISOString())]));
    expect(livePeers(host)).toEqual([KEYS[0], KEYS[1]].sort());
    expect(daemon.appliedGeneration).toBe(2);
  });

  it('drops an announced peer whose address another peer holds, and applies the rest', async () => {
    const { host, daemon } = await running();
    const thief = { ...peer(2), allowedIps: ['100.64.0.2/32'] }; // peer 0's address
    await daemon.onPeersChanged(announce(2, [thief, peer(3)]));
    expect(host.peerSets()).toEqual([['wg', 'set', 'wg0', 'peer', KEYS[3], 'allowed-ips', '100.64.0.5/32']]);
    expect(host.link!.peers.get(KEYS[0])).toEqual(['100.64.0.2/32']);
  });

  it('ends where a full reconcile would: after many announced changes, a full pass finds nothing to do', async () => {
    const { host, daemon } = await running();
    let live = new Set<number>();
    let generation = 1;
    // A deterministic walk: add, re-address, remove.
    for (let step = 0; step < 60; step++) {
      const added = [manyPeer(step)];
      const removed = step % 3 === 2 ? [manyKey(step - 2)] : [];
      if (step % 5 === 4) added.push({ ...manyPeer(step - 1), allowedIps: [`100.64.200.${step}/32`] });
      await daemon.onPeersChanged(announce(++generation, added, removed));
      live = new Set([...live, step].filter((i) => !removed.includes(manyKey(i))));
    }
    host.calls.length = 0;
    await daemon.heal();
    expect(host.peerSets()).toEqual([]);
    expect(host.link!.peers.size).toBe(2 + live.size);
    expect(host.link!.peers.get(manyKey(59 - 1))).toEqual(['100.64.200.59/32']);
  });
});

describe('announced changes: crashes and restarts', () => {
  it('a crash after the journal write and before wg set: the restart replays the journal and the peer is set', async () => {
    const n = await running();
    const run = n.host.run.bind(n.host);
    let hung = 0;
    // The daemon dies inside `wg set`: the command never returns, nothing after it runs.
    n.host.run = (cmd, args, opts) => (cmd === 'wg' && args[0] === 'set' && hung++ === 0 ? new Promise(() => undefined) : run(cmd, args, opts));
    void n.daemon.onPeersChanged(announce(2, [peer(2)]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(hung).toBe(1);
    expect(n.host.link!.peers.has(KEYS[2])).toBe(false);

    n.controlPlane.failure = 'unavailable'; // the restart gets nothing from config-service
    const after = await n.boot();
    expect(after.appliedGeneration).toBe(2);
    expect(livePeers(n.host)).toEqual([KEYS[0], KEYS[1], KEYS[2]].sort());
    expect(n.store.journal).toEqual([]); // compacted at start
    expect(n.store.snapshot.generation).toBe(2);
  });

  it('a crash while journalling (nothing written, wg set never ran): the node stays consistent at the older generation and the next announcement reconciles', async () => {
    const n = await running();
    const append = n.store.append.bind(n.store);
    n.store.append = () => new Promise(() => undefined); // dies inside the append
    void n.daemon.onPeersChanged(announce(2, [peer(2)]));
    await new Promise((resolve) => setImmediate(resolve));

    n.store.append = append;
    const after = await n.boot();
    expect(after.appliedGeneration).toBe(1);
    expect(livePeers(n.host)).toEqual([KEYS[0], KEYS[1]].sort());
    await after.onPeersChanged(announce(3, [peer(3)]));
    expect(n.reconcileRequests).toEqual(['announcement 3 does not follow 1']);
    n.controlPlane.peers = [peer(0), peer(1), peer(2), peer(3)];
    n.controlPlane.generation = 3;
    await after.controlStep();
    expect(livePeers(n.host)).toEqual([KEYS[0], KEYS[1], KEYS[2], KEYS[3]].sort());
  });

  it('replays every journalled generation on restart, and stops at a gap in the chain', async () => {
    const n = await running();
    await n.daemon.onPeersChanged(announce(2, [peer(2)]));
    await n.daemon.onPeersChanged(announce(3, [], [KEYS[1]]));
    // A line for generation 4 was lost (say, a failed write); 5 is there.
    n.store.journal.push({ generation: 5, upserted: [peer(3)], removed: [] });
    n.controlPlane.failure = 'unavailable';
    n.userspace.kill();
    const after = await n.boot();
    expect(after.appliedGeneration).toBe(3);
    expect(livePeers(n.host)).toEqual([KEYS[0], KEYS[2]].sort());
    // Generation 6 does not follow 3: a reconcile, not a delta.
    n.host.calls.length = 0;
    await after.onPeersChanged(announce(6, [peer(3)]));
    expect(n.host.peerSets()).toEqual([]);
    expect(n.reconcileRequests).toEqual(['announcement 6 does not follow 3']);
  });

  it('falls back on a whole snapshot when the journal cannot be written', async () => {
    const { store, host, daemon } = await running();
    store.failAppends = true;
    await daemon.onPeersChanged(announce(2, [peer(2)]));
    expect(store.snapshot.generation).toBe(2);
    expect(store.snapshot.peers?.map((p) => p.publicKey)).toContain(KEYS[2]);
    expect(host.link!.peers.has(KEYS[2])).toBe(true);
  });

  it('a reconcile compacts: the snapshot holds the whole set and the journal is empty', async () => {
    const { store, controlPlane, daemon } = await running();
    await daemon.onPeersChanged(announce(2, [peer(2)]));
    expect(store.journal).toHaveLength(1);
    controlPlane.peers = [peer(0), peer(1), peer(2)];
    controlPlane.generation = 2;
    await daemon.controlStep();
    expect(store.journal).toEqual([]);
    expect(store.snapshot.generation).toBe(2);
    expect(store.snapshot.peers?.map((p) => p.publicKey).sort()).toEqual([KEYS[0], KEYS[1], KEYS[2]].sort());
  });
});
