import { randomBytes } from 'node:crypto';
import { DesiredPeer, PEERS_CHANGED_ANY_NODE, peersChangedChannel, PeersChangedEvent } from '@phoenix/common';
import { dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import { gatewayAddress } from '@phoenix/wireguard';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Random } from '../core/random';
import { LeaseMaintenanceService } from '../leases/lease-maintenance.service';
import { LeasesRepository } from '../leases/leases.repository';
import { dayOf } from '../redemption/nullifier';
import { NodeGenerations } from './node-generations';
import { LocalIssuer, Registered, RunningApp, TestDb, addNode, createNetworkDb, env as envVar, getChallenge, mintToken, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';
import { NodeModel, describePeers } from '../../test/node-model';

// Node generations without a hot row: a lease commits on its own and its node's generation moves
// on just after (NodeGenerations), on two replicas (two apps on one database and one Redis). What a
// node sees must still let it end with exactly its desired set: every change numbered once,
// consecutively, announcements that give the desired set when applied in order, and a gap — or the
// periodic reconcile — wherever a number could not be handed out.
describe('node generations after the commit: what a node sees', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let a: RunningApp;
  let b: RunningApp;
  let ds: DataSource;
  let sub: Redis;
  const events: PeersChangedEvent[] = [];
  let challenge = '';

  const admin = () => ({ authorization: `Bearer ${a.config.ADMIN_TOKEN}` });
  const token = () => mintToken(issuer.current, challenge);
  const eventsFor = (id: string, from = 0) => events.slice(from).filter((e) => e.nodeId === id);

  /** Every lease committed so far is announced (or given up on) and every announcement heard. */
  const settle = async (): Promise<void> => {
    await Promise.all([a.app.get(NodeGenerations).idle(), b.app.get(NodeGenerations).idle()]);
    const marker = randomBytes(8).toString('hex');
    const pub = new Redis(sideRedisUrl('config-service'));
    try {
      await pub.publish(peersChangedChannel(marker), JSON.stringify({ pattern: peersChangedChannel(marker), data: { nodeId: marker, generation: 0, added: [], removed: [] } }));
    } finally {
      pub.disconnect();
    }
    await until(() => events.some((e) => e.nodeId === marker));
  };

  /** The node's desired set as the database holds it (unexpired leases), described. */
  const desired = async (id: string): Promise<string[]> => {
    const rows: Array<{ public_key: string; ipv4: string; ipv6: string | null }> = await ds.query(
      `SELECT public_key, host(ipv4) AS ipv4, host(ipv6) AS ipv6 FROM lease WHERE node_id = $1 AND expires_at > now()`,
      [id],
    );
    return rows.map((r) => `${r.public_key} ${r.ipv4}/32${r.ipv6 ? `,${r.ipv6}/128` : ''}`).sort();
  };
  const generationOf = async (id: string): Promise<number> => Number((await ds.query(`SELECT generation FROM node_generation WHERE node_id = $1`, [id]))[0].generation);

  /** A redemption that must succeed. */
  const leased = async (base: string, publicKey: string): Promise<void> => {
    const res = await redeem(base, token(), { location: 'de-fra', publicKey });
    expect(res.status).toBe(200);
  };

  /** The node's announcements from `heard` on, in generation order, applied to `start`. */
  const applyInOrder = (start: Map<string, DesiredPeer>, told: PeersChangedEvent[]): Map<string, DesiredPeer> => {
    const peers = new Map(start);
    for (const e of [...told].sort((x, y) => x.generation - y.generation)) {
      for (const key of e.removed) peers.delete(key);
      for (const p of e.added) peers.set(p.publicKey, p);
    }
    return peers;
  };

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    const env = testEnv(db, issuer);
    a = await startApp(env);
    b = await startApp(env);
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    sub = new Redis(envVar('REDIS_URL')); // the admin hears every node's channel (a node-daemon only its own)
    await sub.psubscribe(PEERS_CHANGED_ANY_NODE);
    sub.on('pmessage', (_p: string, _c: string, m: string) => events.push((JSON.parse(m) as { data: PeersChangedEvent }).data));
    challenge = await getChallenge(a.base);
  }, 60_000);

  afterAll(async () => {
    sub?.disconnect();
    await ds?.destroy();
    await a?.close();
    await b?.close();
    if (a) await dropRedisPrefix(a.config.REDIS_KEY_PREFIX);
    await issuer?.close();
    await db?.drop();
  });

  // Each test has a location (and so a node) of its own.
  let node: Registered;

  it('numbers every change of a node once and consecutively across two replicas, and its announcements applied in order give exactly the desired set', async () => {
    node = await addNode(a.base, a.config, { location: 'de-fra', capacity: 2000, tunnelCidrV4: '100.70.0.0/20', tunnelCidrV6: 'fd00:70::/64' });
    // Three earlier leases, two of them expired by the time the burst starts.
    const earlier = [wgPublicKey(), wgPublicKey(), wgPublicKey()];
    for (const k of earlier) await leased(a.base, k);
    await settle();
    await ds.query(`UPDATE lease SET expires_at = now() - interval '1 second' WHERE public_key = ANY($1)`, [earlier.slice(0, 2)]);

    const model = new NodeModel(a.base, node);
    await model.reconcile();
    const start = { generation: model.generation as number, peers: new Map(model.peers) };
    expect(describePeers(start.peers.values())).toEqual(await desired(node.id));
    const heard = events.length;

    // The burst, spread over both replicas: 40 new keys, 10 keys asked for twice at once (one
    // replaces the other), the two expired keys again — and lease expiry running in the middle.
    const fresh = Array.from({ length: 40 }, () => wgPublicKey());
    const twice = Array.from({ length: 10 }, () => wgPublicKey());
    const keys = [...fresh, ...twice, ...twice, ...earlier.slice(0, 2)];
    const [statuses, expiry] = await Promise.all([
      Promise.all(keys.map(async (k, i) => (await redeem(i % 2 ? a.base : b.base, token(), { location: 'de-fra', publicKey: k })).status)),
      b.app.get(LeaseMaintenanceService).expireLeases(),
    ]);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(expiry.ran).toBe(true);
    await settle();

    const final = await desired(node.id);
    expect(final).toHaveLength(3 + 40 + 10);
    expect(new Set(final.map((l) => l.split(' ')[0]))).toEqual(new Set([...earlier, ...fresh, ...twice]));

    // Numbered once each, consecutively, up to the generation the node set reports.
    const told = eventsFor(node.id, heard);
    const numbers = told.map((e) => e.generation).sort((x, y) => x - y);
    const last = await generationOf(node.id);
    expect(numbers).toEqual(Array.from({ length: last - start.generation }, (_, i) => start.generation + 1 + i));
    // Batched: fewer generations than changes (52 redemptions, an expiry), each announced once.
    expect(numbers.length).toBeLessThanOrEqual(keys.length + 1);

    // Applied in generation order from the reconciled start: exactly the desired set.
    expect(describePeers(applyInOrder(start.peers, told).values())).toEqual(final);

    // A node receiving them in arrival order (reconciling at any gap) ends there too, and its
    // next pulse agrees with it.
    for (const e of told) await model.receive(e);
    expect(model.generation).toBe(last);
    expect(describePeers(model.peers.values())).toEqual(final);
    expect(await model.pulseSaysBehind()).toBe(false);
  });

  it('a generation that could not move on after a commit makes the next one skip a number: the node sees the gap, reconciles and converges', async () => {
    const model = new NodeModel(a.base, node);
    await model.reconcile();
    const before = model.generation as number;

    // The lease commits; moving the generation on fails (its table is briefly gone).
    const lost = wgPublicKey();
    const heard = events.length;
    await ds.query(`ALTER TABLE node_generation RENAME TO node_generation_away`);
    try {
      await leased(a.base, lost);
      await a.app.get(NodeGenerations).idle();
    } finally {
      await ds.query(`ALTER TABLE node_generation_away RENAME TO node_generation`);
    }
    await settle();
    expect(eventsFor(node.id, heard)).toEqual([]);
    expect(await generationOf(node.id)).toBe(before);
    // Nothing tells the node yet: it lacks the peer, and its pulse agrees with it.
    expect(await model.pulseSaysBehind()).toBe(false);
    expect(model.peers.has(lost)).toBe(false);

    // The next lease on that node (same replica) skips a number.
    const next = wgPublicKey();
    await leased(a.base, next);
    await settle();
    const told = eventsFor(node.id, heard);
    expect(told).toEqual([{ nodeId: node.id, generation: before + 2, added: [expect.objectContaining({ publicKey: next })], removed: [] }]);
    expect(model.apply(told[0]!)).toBe('gap');
    await model.reconcile();
    expect(model.generation).toBe(before + 2);
    expect(model.peers.has(lost)).toBe(true);
    expect(describePeers(model.peers.values())).toEqual(await desired(node.id));
    expect(await model.pulseSaysBehind()).toBe(false);
  });

  it('a lease committed by a replica that died before the bump reaches the node at its periodic reconcile, and announcements go on after it', async () => {
    const model = new NodeModel(a.base, node);
    await model.reconcile();
    const before = model.generation as number;
    const heard = events.length;

    // What a replica killed between the commit and the bump leaves: the lease, no generation.
    const orphan = wgPublicKey();
    const record = (await ds.query(`SELECT host(tunnel_cidr_v4) || '/' || masklen(tunnel_cidr_v4) AS v4, host(tunnel_cidr_v6) || '/' || masklen(tunnel_cidr_v6) AS v6 FROM node WHERE id = $1`, [node.id]))[0] as { v4: string; v6: string };
    await a.app.get(LeasesRepository).create({
      nodeId: node.id,
      publicKey: orphan,
      pools: { v4: record.v4, v6: record.v6 },
      reserved: [gatewayAddress(record.v4), gatewayAddress(record.v6)],
      ttlSec: 3600,
      random: new Random().source,
      spend: { nullifier: randomBytes(32), forgetOn: dayOf(Date.now() / 1000 + 86_400) },
        tenantId: null,
        releaseTokenHash: randomBytes(32),
    });
    await settle();
    expect(eventsFor(node.id, heard)).toEqual([]);
    expect(await generationOf(node.id)).toBe(before);
    expect(await model.pulseSaysBehind()).toBe(false);
    expect(model.peers.has(orphan)).toBe(false);

    // The periodic reconcile (RECONCILE_INTERVAL_SEC) brings it; the next announcement follows on.
    await model.reconcile();
    expect(model.peers.has(orphan)).toBe(true);
    const next = wgPublicKey();
    await leased(b.base, next);
    await settle();
    const told = eventsFor(node.id, heard);
    expect(told.map((e) => e.generation)).toEqual([before + 1]);
    expect(model.apply(told[0]!)).toBe('applied');
    expect(describePeers(model.peers.values())).toEqual(await desired(node.id));
  });

  it('announces what the node must hold for a key when its generation moves on, so two changes of one key numbered against their commit order still end in the later one', async () => {
    const model = new NodeModel(a.base, node);
    await model.reconcile();
    const before = model.generation as number;
    const heard = events.length;
    const key = wgPublicKey();
    const record = (await ds.query(`SELECT host(tunnel_cidr_v4) || '/' || masklen(tunnel_cidr_v4) AS v4 FROM node WHERE id = $1`, [node.id]))[0] as { v4: string };
    const create = () =>
      a.app.get(LeasesRepository).create({
        nodeId: node.id,
        publicKey: key,
        pools: { v4: record.v4, v6: null },
        reserved: [gatewayAddress(record.v4)],
        ttlSec: 3600,
        random: new Random().source,
        spend: { nullifier: randomBytes(32), forgetOn: dayOf(Date.now() / 1000 + 86_400) },
        tenantId: null,
        releaseTokenHash: randomBytes(32),
      });
    // Two commits for one key: the second replaces the first. Their bumps then run one after the
    // other, as if the second commit's bump had won the row first (two replicas).
    const first = await create();
    const second = await create();
    expect(second.superseded).toBe(true);
    expect(second.ipv4).not.toBe(first.ipv4);
    const gens = b.app.get(NodeGenerations);
    expect(await gens.leaseCommitted(node.id, key)).toBe(before + 1);
    expect(await gens.leaseCommitted(node.id, key)).toBe(before + 2);
    await settle();
    const told = eventsFor(node.id, heard);
    expect(told.map((e) => e.generation)).toEqual([before + 1, before + 2]);
    // Both say what the node must hold now: the second lease, never the first.
    for (const e of told) expect(e.added.map((p) => p.allowedIps)).toEqual([[`${second.ipv4}/32`]]);
    for (const e of told) expect(model.apply(e)).toBe('applied');
    expect(describePeers(model.peers.values())).toEqual(await desired(node.id));
  });

  it('leaves no lease on a node decommissioned while redemptions to it are in flight, and tells the node of each', async () => {
    const doomed = await addNode(a.base, a.config, { location: 'fr-par', capacity: 1000, tunnelCidrV4: '100.71.0.0/22', tunnelCidrV6: 'fd00:71::/64' });
    const heard = events.length;
    const keys = Array.from({ length: 30 }, () => wgPublicKey());
    const requests = keys.map(async (k, i) => ({ key: k, status: (await redeem(i % 2 ? a.base : b.base, token(), { location: 'fr-par', publicKey: k })).status }));
    await new Promise((r) => setTimeout(r, 30));
    const del = await fetch(`${b.base}/nodes/${doomed.id}`, { method: 'DELETE', headers: admin() });
    expect(del.status).toBe(204);
    const results = await Promise.all(requests);
    // Answered before or after the end: a config, or no capacity — never an error or a hang.
    expect(results.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
    await settle();
    expect(await ds.query(`SELECT public_key FROM lease WHERE node_id = $1`, [doomed.id])).toEqual([]);
    // Every key that got a config was taken away again, in an announcement the node hears.
    const removed = new Set(eventsFor(doomed.id, heard).flatMap((e) => e.removed));
    for (const r of results.filter((x) => x.status === 200)) expect(removed.has(r.key)).toBe(true);
    expect(eventsFor(doomed.id, heard).some((e) => e.decommissioned === true)).toBe(true);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
