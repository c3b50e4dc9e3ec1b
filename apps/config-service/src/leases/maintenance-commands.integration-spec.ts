import { randomBytes } from 'node:crypto';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { Patterns, PEERS_CHANGED_ANY_NODE, peersChangedChannel, PeersChangedEvent, redisClientOptions, redisTransportOptions } from '@phoenix/common';
import { dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import Redis from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import { DataSource } from 'typeorm';
import { LocalIssuer, Registered, RunningApp, TestDb, addNode, createNetworkDb, env, getChallenge, mintToken, pulse, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';

// The owner's side of job-worker's two network schedules: the commands arrive over the real Redis
// transport from a client logged in as job-worker's Redis user, and do their work on a real
// database. Each is sent twice: the second run of a period must change nothing.
const DEAD_AFTER_SEC = 600;
const GRACE_SEC = 3600;

describe('network.leases.expire and network.nodes.reap, as job-worker sends them', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let svc: RunningApp;
  let ds: DataSource;
  let control: ClientProxy;
  let sub: Redis;
  const events: PeersChangedEvent[] = [];
  let period = 0;

  /** Sends a scheduled command the way job-worker does (a `ScheduledCommand` payload) and returns the reply. */
  async function send<R>(pattern: string): Promise<R> {
    const at = new Date(Date.UTC(2030, 0, 1, 0, period++)).toISOString();
    return firstValueFrom(control.send<R>(pattern, { schedule: pattern, period: at, idempotencyKey: `${pattern}@${at}` }).pipe(timeout(30_000)));
  }

  /** A redemption, and its announcement heard (the node's generation moves on just after the commit). */
  const lease = async (location: string, publicKey = wgPublicKey()): Promise<string> => {
    const heard = events.length;
    const res = await redeem(svc.base, mintToken(issuer.current, await getChallenge(svc.base)), { location, publicKey });
    expect(res.status).toBe(200);
    await until(() => events.slice(heard).some((e) => e.added.some((p) => p.publicKey === publicKey)));
    return publicKey;
  };
  const leasesOf = async (id: string): Promise<string[]> => (await ds.query(`SELECT public_key FROM lease WHERE node_id = $1 ORDER BY public_key`, [id])).map((r: { public_key: string }) => r.public_key);
  const nodeRow = async (id: string): Promise<{ status: string; generation: string; decommissioned_at: Date | null }> =>
    (await ds.query(`SELECT n.status, g.generation, n.decommissioned_at FROM node n JOIN node_generation g ON g.node_id = n.id WHERE n.id = $1`, [id]))[0];
  /** The node as if its last pulse was `sec` seconds ago. */
  const silence = (n: Registered, sec: number) => ds.query(`UPDATE node SET last_pulse_at = now() - make_interval(secs => $2) WHERE id = $1`, [n.id, sec]);
  const eventsFor = (id: string) => events.filter((e) => e.nodeId === id);
  /** The announcements so far have all arrived: one of our own, emitted last, is heard. */
  const settle = async (): Promise<void> => {
    const marker = randomBytes(8).toString('hex');
    const pub = new Redis(sideRedisUrl('config-service'));
    try {
      await pub.publish(peersChangedChannel(marker), JSON.stringify({ pattern: peersChangedChannel(marker), data: { nodeId: marker, generation: 0, added: [], removed: [] } }));
    } finally {
      pub.disconnect();
    }
    await until(() => events.some((e) => e.nodeId === marker));
  };

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    svc = await startApp(testEnv(db, issuer, { NODE_DEAD_AFTER_SEC: String(DEAD_AFTER_SEC), NODE_DECOMMISSION_GRACE_SEC: String(GRACE_SEC) }));
    svc.app.connectMicroservice(redisTransportOptions(svc.config.REDIS_URL), { inheritAppConfig: true });
    await svc.app.startAllMicroservices();
    control = ClientProxyFactory.create(redisClientOptions('jobs', sideRedisUrl('job-worker')) as never) as unknown as ClientProxy;
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    sub = new Redis(env('REDIS_URL')); // the admin hears every node's channel (a node-daemon only its own)
    await sub.psubscribe(PEERS_CHANGED_ANY_NODE);
    sub.on('pmessage', (_p: string, _c: string, m: string) => events.push((JSON.parse(m) as { data: PeersChangedEvent }).data));
  });

  afterAll(async () => {
    await control?.close();
    sub?.disconnect();
    await ds?.destroy();
    await svc?.close();
    await issuer?.close();
    await db?.drop();
    if (svc) await dropRedisPrefix(svc.config.REDIS_KEY_PREFIX);
  });

  it('network.leases.expire deletes the expired lease, announces its removal, forgets the nullifiers past their day, and a second run changes nothing', async () => {
    const node = await addNode(svc.base, svc.config, { location: 'jp-tyo', tunnelCidrV4: '100.90.0.0/24', tunnelCidrV6: 'fd00:90::/64', capacity: 100 });
    const keep = await lease('jp-tyo');
    const expire = await lease('jp-tyo');
    await ds.query(`UPDATE lease SET expires_at = now() - interval '1 minute' WHERE public_key = $1`, [expire]);
    const past = randomBytes(32);
    const future = randomBytes(32);
    await ds.query(`INSERT INTO spent_token (nullifier, forget_on) VALUES ($1, (now() AT TIME ZONE 'UTC')::date - 1), ($2, (now() AT TIME ZONE 'UTC')::date + 1)`, [past, future]);

    expect(await send(Patterns.LEASES_EXPIRE)).toEqual({ ran: true, count: 1, nullifiersForgotten: 1 });
    expect(await leasesOf(node.id)).toEqual([keep]);
    expect((await ds.query(`SELECT nullifier FROM spent_token WHERE nullifier = ANY($1)`, [[past, future]])).map((r: { nullifier: Buffer }) => r.nullifier.toString('hex'))).toEqual([
      future.toString('hex'),
    ]);
    await settle();
    const generation = (await nodeRow(node.id)).generation;
    expect(eventsFor(node.id)).toContainEqual({ nodeId: node.id, generation: Number(generation), added: [], removed: [expire] });

    const heard = events.length;
    expect(await send(Patterns.LEASES_EXPIRE)).toEqual({ ran: true, count: 0, nullifiersForgotten: 0 });
    await settle();
    expect(events.slice(heard).filter((e) => e.nodeId === node.id)).toEqual([]);
    expect((await nodeRow(node.id)).generation).toBe(generation);
    expect(await leasesOf(node.id)).toEqual([keep]);
  });

  it('network.nodes.reap marks a node silent past NODE_DEAD_AFTER_SEC dead (unselectable, its leases ended), decommissions it after the grace, and each second run changes nothing', async () => {
    const node = await addNode(svc.base, svc.config, { location: 'au-syd', tunnelCidrV4: '100.91.0.0/24', tunnelCidrV6: 'fd00:91::/64', capacity: 100 });
    const peer = await lease('au-syd');
    await silence(node, DEAD_AFTER_SEC - 60);
    expect(await send(Patterns.NODES_REAP)).toMatchObject({ ran: true, count: 0, leasesEnded: 0 });
    expect((await nodeRow(node.id)).status).toBe('active');

    await silence(node, DEAD_AFTER_SEC + 5);
    expect(await send(Patterns.NODES_REAP)).toEqual({ ran: true, count: 1, markedDead: 1, decommissioned: 0, ephemeralDecommissioned: 0, leasesEnded: 1 });
    const dead = await nodeRow(node.id);
    expect(dead.status).toBe('dead');
    expect(await leasesOf(node.id)).toEqual([]);
    await settle();
    expect(eventsFor(node.id)).toContainEqual({ nodeId: node.id, generation: Number(dead.generation), added: [], removed: [peer] });
    const unselectable = await redeem(svc.base, mintToken(issuer.current, await getChallenge(svc.base)), { location: 'au-syd', publicKey: wgPublicKey() });
    expect(unselectable.status).toBe(503);
    expect(await unselectable.json()).toMatchObject({ code: 'NO_CAPACITY' });

    const heard = events.length;
    expect(await send(Patterns.NODES_REAP)).toEqual({ ran: true, count: 0, markedDead: 0, decommissioned: 0, ephemeralDecommissioned: 0, leasesEnded: 0 });
    expect(await nodeRow(node.id)).toEqual(dead);

    await silence(node, DEAD_AFTER_SEC + GRACE_SEC - 60);
    expect(await send(Patterns.NODES_REAP)).toMatchObject({ count: 0 });
    expect((await nodeRow(node.id)).status).toBe('dead');

    await silence(node, DEAD_AFTER_SEC + GRACE_SEC + 5);
    expect(await send(Patterns.NODES_REAP)).toEqual({ ran: true, count: 1, markedDead: 0, decommissioned: 1, ephemeralDecommissioned: 0, leasesEnded: 0 });
    const gone = await nodeRow(node.id);
    expect(gone.status).toBe('decommissioned');
    expect(gone.decommissioned_at).not.toBeNull();
    await settle();
    expect(events.slice(heard).filter((e) => e.nodeId === node.id)).toEqual([{ nodeId: node.id, generation: Number(gone.generation), added: [], removed: [], decommissioned: true }]);
    expect((await pulse(svc.base, node, { load: 1, peers: 0, healthy: true })).status).toBe(410);

    expect(await send(Patterns.NODES_REAP)).toEqual({ ran: true, count: 0, markedDead: 0, decommissioned: 0, ephemeralDecommissioned: 0, leasesEnded: 0 });
    expect(await nodeRow(node.id)).toEqual(gone);
  });

  it('network.nodes.reap decommissions an ephemeral node older than 24 h and ends its leases (the client redeems again, on a node with room); a non-ephemeral node of the same age is untouched', async () => {
    const ephemeral = await addNode(svc.base, svc.config, { location: 'se-sto', tunnelCidrV4: '100.92.0.0/24', tunnelCidrV6: 'fd00:92::/64', capacity: 100, ephemeral: true });
    const steady = await addNode(svc.base, svc.config, { location: 'se-sto', tunnelCidrV4: '100.93.0.0/24', tunnelCidrV6: 'fd00:93::/64', capacity: 100 });
    // Both pulse (so neither is silent) and both were first registered 25 hours ago.
    await ds.query(`UPDATE node SET registered_at = now() - interval '25 hours' WHERE id = ANY($1)`, [[ephemeral.id, steady.id]]);
    const peers = [await lease('se-sto'), await lease('se-sto'), await lease('se-sto'), await lease('se-sto')];
    const onEphemeral = await leasesOf(ephemeral.id);
    const onSteady = await leasesOf(steady.id);
    expect([...onEphemeral, ...onSteady].sort()).toEqual([...peers].sort());
    if (onEphemeral.length === 0) {
      // Selection put all four on the other node: give the ephemeral one a lease of its own.
      await ds.query(`UPDATE lease SET node_id = $1 WHERE public_key = $2`, [ephemeral.id, peers[0]]);
      onEphemeral.push(peers[0]!);
      onSteady.splice(onSteady.indexOf(peers[0]!), 1);
    }
    const steadyBefore = await nodeRow(steady.id);
    const heard = events.length;

    expect(await send(Patterns.NODES_REAP)).toEqual({ ran: true, count: 1, markedDead: 0, decommissioned: 0, ephemeralDecommissioned: 1, leasesEnded: onEphemeral.length });
    const gone = await nodeRow(ephemeral.id);
    expect(gone.status).toBe('decommissioned');
    expect(await leasesOf(ephemeral.id)).toEqual([]);
    await settle();
    const told = events.slice(heard).filter((e) => e.nodeId === ephemeral.id);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ nodeId: ephemeral.id, generation: Number(gone.generation), added: [], decommissioned: true });
    expect([...told[0]!.removed].sort()).toEqual([...onEphemeral].sort());
    expect(await nodeRow(steady.id)).toEqual(steadyBefore);
    expect(await leasesOf(steady.id)).toEqual([...onSteady].sort());
    expect(events.slice(heard).filter((e) => e.nodeId === steady.id)).toEqual([]);

    // The client of an ended lease redeems again with its key and lands on the node with room.
    await lease('se-sto', onEphemeral[0]);
    expect(await leasesOf(steady.id)).toContain(onEphemeral[0]);

    const before = await nodeRow(steady.id);
    expect(await send(Patterns.NODES_REAP)).toEqual({ ran: true, count: 0, markedDead: 0, decommissioned: 0, ephemeralDecommissioned: 0, leasesEnded: 0 });
    expect(await nodeRow(ephemeral.id)).toEqual(gone);
    expect(await nodeRow(steady.id)).toEqual(before);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
