import { createHash } from 'node:crypto';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { Patterns, PEERS_CHANGED_ANY_NODE, PeersChangedEvent, redisClientOptions, redisTransportOptions } from '@phoenix/common';
import { dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import Redis from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import { DataSource } from 'typeorm';
import { NodesRepository } from './nodes.repository';
import { LocalIssuer, Registered, RunningApp, TestDb, addNode, createNetworkDb, env, getChallenge, mintToken, pulse, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';

const json = { 'content-type': 'application/json' };

describe('fleet: registration, pulses, peer sets, drain, decommission, expiry and reaping', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let svc: RunningApp;
  let ds: DataSource;
  let redis: Redis;
  let sub: Redis;
  let events: PeersChangedEvent[];
  let control: ClientProxy;
  let challenge: string;

  const admin = () => ({ authorization: `Bearer ${svc.config.ADMIN_TOKEN}` });
  const enroll = () => ({ ...json, authorization: `Bearer ${svc.config.NODE_ENROLLMENT_TOKEN}` });
  const nodeAuth = (n: { nodeToken: string }) => ({ authorization: `Bearer ${n.nodeToken}` });
  const registration = (o: Record<string, unknown> = {}) => ({
    publicKey: wgPublicKey(),
    endpoint: { host: 'vpn-1.example.net', port: 51820 },
    location: 'nl-ams',
    capacity: 100,
    tunnelCidrV4: '100.100.0.0/24',
    tunnelCidrV6: 'fd00:20::/64',
    ephemeral: false,
    version: '1.2.3',
    ...o,
  });
  const register = (body: unknown, headers: Record<string, string> = enroll()) => fetch(`${svc.base}/nodes/register`, { method: 'POST', headers, body: JSON.stringify(body) });
  const peers = (n: Registered) => fetch(`${svc.base}/nodes/${n.id}/peers`, { headers: nodeAuth(n) });

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    svc = await startApp(testEnv(db, issuer));
    svc.app.connectMicroservice(redisTransportOptions(svc.config.REDIS_URL), { inheritAppConfig: true });
    await svc.app.startAllMicroservices();
    control = ClientProxyFactory.create(redisClientOptions('control', sideRedisUrl('job-worker')) as never) as unknown as ClientProxy; // job-worker's user
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    redis = new Redis(env('REDIS_URL'));
    sub = new Redis(env('REDIS_URL')); // the admin hears every node's channel (a node-daemon only its own)
    events = [];
    await sub.psubscribe(PEERS_CHANGED_ANY_NODE);
    sub.on('pmessage', (_p: string, _c: string, m: string) => events.push((JSON.parse(m) as { data: PeersChangedEvent }).data));
    challenge = await getChallenge(svc.base);
  });

  afterAll(async () => {
    await control?.close();
    sub?.disconnect();
    redis?.disconnect();
    await ds?.destroy();
    await svc?.close();
    if (svc) await dropRedisPrefix(svc.config.REDIS_KEY_PREFIX);
    await issuer?.close();
    await db?.drop();
  });

  describe('POST /nodes/register', () => {
    it('refuses a missing or wrong enrollment token', async () => {
      expect((await register(registration(), json)).status).toBe(401);
      expect((await register(registration(), { ...json, authorization: 'Bearer dev-wrong-enrollment-token' })).status).toBe(401);
    });

    it('answers 201 for a new key and 200 with the same id and a fresh token for the same key', async () => {
      const body = registration();
      const first = await register(body);
      expect(first.status).toBe(201);
      const a = (await first.json()) as { id: string; nodeToken: string; pulseIntervalSec: number };
      expect(a.pulseIntervalSec).toBe(30);
      expect(a.nodeToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const second = await register({ ...body, capacity: 50, version: '1.2.4' });
      expect(second.status).toBe(200);
      const b = (await second.json()) as { id: string; nodeToken: string };
      expect(b.id).toBe(a.id);
      expect(b.nodeToken).not.toBe(a.nodeToken);
      // The old token no longer works; the new one does.
      expect((await pulse(svc.base, a, { load: 1, peers: 0, healthy: true })).status).toBe(401);
      expect((await pulse(svc.base, b, { load: 1, peers: 0, healthy: true })).status).toBe(200);
      // Only the token's SHA-256 is stored.
      const [row] = await ds.query(`SELECT token_hash, capacity, version FROM node WHERE id = $1`, [a.id]);
      expect(Buffer.compare(row.token_hash, createHash('sha256').update(b.nodeToken).digest())).toBe(0);
      expect(row).toMatchObject({ capacity: 50, version: '1.2.4' });
      const dump = JSON.stringify(await ds.query(`SELECT * FROM node`));
      expect(dump).not.toContain(b.nodeToken);
    });

    it('refuses to change the tunnel pools of a registered node', async () => {
      const body = registration();
      expect((await register(body)).status).toBe(201);
      const res = await register({ ...body, tunnelCidrV4: '100.101.0.0/24' });
      expect(res.status).toBe(409);
    });

    it.each([
      ['an unknown field', { nodeSecret: 'x' }, 400],
      ['a bad public key', { publicKey: 'abc' }, 400],
      ['a bad endpoint host', { endpoint: { host: 'a b\nc', port: 51820 } }, 400],
      ['a bad port', { endpoint: { host: '198.18.0.1', port: 70000 } }, 400],
      ['a CIDR with host bits', { tunnelCidrV4: '100.100.0.1/24' }, 400],
      ['an IPv6 pool as IPv4', { tunnelCidrV4: 'fd00::/64' }, 400],
      ['a capacity beyond the pool', { capacity: 300 }, 400],
      ['a negative capacity', { capacity: -1 }, 400],
      ['an unknown location', { location: 'zz-nope' }, 404],
    ])('refuses %s', async (_name, patch, status) => {
      const res = await register(registration(patch));
      expect(res.status).toBe(status);
    });
  });

  describe('pulses and peer sets', () => {
    it('answers a pulse with the generation, keeps hot load in Redis, and refuses bad pulses', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'gb-lon', tunnelCidrV4: '100.110.0.0/24', tunnelCidrV6: 'fd00:30::/64', capacity: 100 });
      const res = await pulse(svc.base, node, { load: 42, peers: 3, rxBytes: 10, txBytes: 20, cpu: 12.5, healthy: true });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ generation: 0 });
      const hot = await redis.hgetall(`${svc.config.REDIS_KEY_PREFIX}node:{${node.id}}:pulse`);
      expect(hot).toMatchObject({ load: '42', peers: '3', healthy: '1' });
      expect((await pulse(svc.base, node, { load: 101, peers: 0, healthy: true })).status).toBe(400);
      expect((await pulse(svc.base, node, { load: 1, peers: 0, healthy: true, ip: '1.2.3.4' })).status).toBe(400);
      expect((await pulse(svc.base, { id: node.id, nodeToken: 'wrong' }, { load: 1, peers: 0, healthy: true })).status).toBe(401);
      expect((await pulse(svc.base, { id: 'not-a-uuid', nodeToken: node.nodeToken }, { load: 1, peers: 0, healthy: true })).status).toBe(401);
    });

    it('commits a pulse without waiting for the disk, and only the pulse (node_pulse)', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'gb-lon', tunnelCidrV4: '100.110.1.0/24', tunnelCidrV6: 'fd00:30:1::/64', capacity: 100 });
      const qr = ds.createQueryRunner();
      await qr.connect();
      try {
        expect(await qr.query(`SHOW synchronous_commit`)).toEqual([{ synchronous_commit: 'on' }]);
        await qr.startTransaction();
        const [pulsed] = (await qr.query(`SELECT generation, location_id, changed FROM node_pulse($1, true)`, [node.id])) as Array<Record<string, unknown>>;
        expect(pulsed).toMatchObject({ location_id: 'gb-lon' });
        // Off for the pulse's own transaction …
        expect(await qr.query(`SHOW synchronous_commit`)).toEqual([{ synchronous_commit: 'off' }]);
        await qr.commitTransaction();
        // … and back on after it, for whatever the connection runs next (a lease must be durable).
        expect(await qr.query(`SHOW synchronous_commit`)).toEqual([{ synchronous_commit: 'on' }]);
        const [row] = (await qr.query(`SELECT last_pulse_at > now() - interval '1 minute' AS recent FROM node WHERE id = $1`, [node.id])) as Array<{ recent: boolean }>;
        expect(row?.recent).toBe(true);
      } finally {
        await qr.release();
      }
    });

    it('bumps the generation per lease and lists only unexpired leases', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'ch-zrh', tunnelCidrV4: '100.111.0.0/24', tunnelCidrV6: 'fd00:31::/64', capacity: 100 });
      const key = wgPublicKey();
      const r = await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'ch-zrh', publicKey: key });
      expect(r.status).toBe(200);
      // The generation moves on just after the lease commits, and the announcement follows it.
      await waitFor(() => events.some((e) => e.nodeId === node.id && e.generation === 1));
      expect(events.find((e) => e.nodeId === node.id)).toEqual({ nodeId: node.id, generation: 1, added: [expect.objectContaining({ publicKey: key })], removed: [] });
      const set = (await (await peers(node)).json()) as { generation: number; peers: Array<{ publicKey: string; allowedIps: string[]; expiresAt: string }> };
      expect(set.generation).toBe(1);
      expect(set.peers).toEqual([{ publicKey: key, allowedIps: [expect.stringMatching(/^100\.111\.0\.\d+\/32$/), expect.stringMatching(/^fd00:31::.+\/128$/)], expiresAt: expect.any(String), tenantId: null }]);
      await ds.query(`UPDATE lease SET expires_at = now() - interval '1 second' WHERE node_id = $1`, [node.id]);
      const after = (await (await peers(node)).json()) as { peers: unknown[] };
      expect(after.peers).toEqual([]);
      const pulseGen = (await (await pulse(svc.base, node, { load: 1, peers: 1, healthy: true })).json()) as { generation: number };
      expect(pulseGen.generation).toBe(1);
    });
  });

  describe('conditional peer-set pulls (ETag: the generation)', () => {
    const conditional = (n: Registered, ifNoneMatch: string) => fetch(`${svc.base}/nodes/${n.id}/peers`, { headers: { ...nodeAuth(n), 'if-none-match': ifNoneMatch } });

    it('answers 304 without a body and without reading the leases when the node holds the current generation, 200 with the new ETag after a change', async () => {
      const put = await fetch(`${svc.base}/admin/locations/fi-hel`, { method: 'PUT', headers: { ...admin(), ...json }, body: JSON.stringify({ country: 'FI', city: 'Helsinki' }) });
      expect([200, 201]).toContain(put.status);
      const node = await addNode(svc.base, svc.config, { location: 'fi-hel', tunnelCidrV4: '100.116.0.0/24', tunnelCidrV6: 'fd00:36::/64', capacity: 100 });
      const first = await peers(node);
      expect(first.status).toBe(200);
      expect(first.headers.get('etag')).toBe('"0"');
      expect(await first.json()).toEqual({ generation: 0, peers: [] });

      const repo = svc.app.get(NodesRepository);
      const fullReads = jest.spyOn(repo, 'peerSet');
      const sql = jest.spyOn(svc.app.get(DataSource), 'query');
      try {
        const same = await conditional(node, '"0"');
        expect(same.status).toBe(304);
        expect(same.headers.get('etag')).toBe('"0"');
        expect(await same.text()).toBe('');
        // A list, and the weak form, compare the same (RFC 9110 §13.1.2).
        expect((await conditional(node, '"7", W/"0"')).status).toBe(304);
        expect(fullReads).not.toHaveBeenCalled();
        expect(sql.mock.calls.map((c) => String(c[0])).filter((q) => /\blease\b/.test(q))).toEqual([]);
      } finally {
        fullReads.mockRestore();
        sql.mockRestore();
      }

      const key = wgPublicKey();
      expect((await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'fi-hel', publicKey: key })).status).toBe(200);
      await waitFor(() => events.some((e) => e.nodeId === node.id && e.generation === 1));
      const changed = await conditional(node, '"0"');
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).toBe('"1"');
      expect(await changed.json()).toEqual({ generation: 1, peers: [expect.objectContaining({ publicKey: key })] });
      expect((await conditional(node, '"1"')).status).toBe(304);
      // Not a generation, or no header: the whole set.
      for (const header of ['"abc"', 'garbage', '']) expect((await conditional(node, header)).status).toBe(200);
    });

    it('answers a conditional pull of another token 401, of a decommissioned node 410, as the full one does', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'fi-hel', tunnelCidrV4: '100.117.0.0/24', tunnelCidrV6: 'fd00:37::/64', capacity: 100 });
      expect((await fetch(`${svc.base}/nodes/${node.id}/peers`, { headers: { authorization: 'Bearer wrong', 'if-none-match': '"0"' } })).status).toBe(401);
      expect((await fetch(`${svc.base}/nodes/${node.id}`, { method: 'DELETE', headers: admin() })).status).toBe(204);
      const gone = await conditional(node, '"0"');
      expect(gone.status).toBe(410);
      expect(((await gone.json()) as { code: string }).code).toBe('NODE_DECOMMISSIONED');
    });
  });

  describe('admin', () => {
    it('lists nodes only for the admin token', async () => {
      expect((await fetch(`${svc.base}/nodes`)).status).toBe(401);
      expect((await fetch(`${svc.base}/nodes`, { headers: { authorization: 'Bearer dev-admin-token-wrong-one' } })).status).toBe(401);
      const res = await fetch(`${svc.base}/nodes`, { headers: admin() });
      expect(res.status).toBe(200);
      const list = (await res.json()) as Array<Record<string, unknown>>;
      expect(list.length).toBeGreaterThan(0);
      expect(list[0]).toEqual(expect.objectContaining({ id: expect.any(String), status: 'active', endpoint: expect.any(Object), generation: expect.any(Number) }));
      expect(JSON.stringify(list)).not.toMatch(/token/i);
    });

    it('drains a node: no new leases there, existing ones stay', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'us-sfo', tunnelCidrV4: '100.112.0.0/24', tunnelCidrV6: 'fd00:32::/64', capacity: 100 });
      expect((await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'us-sfo', publicKey: wgPublicKey() })).status).toBe(200);
      const drained = await fetch(`${svc.base}/nodes/${node.id}/drain`, { method: 'POST', headers: admin() });
      expect(drained.status).toBe(200);
      expect(((await drained.json()) as { draining: boolean }).draining).toBe(true);
      const res = await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'us-sfo', publicKey: wgPublicKey() });
      expect(res.status).toBe(503);
      expect(((await (await peers(node)).json()) as { peers: unknown[] }).peers).toHaveLength(1);
    });

    it('decommissions a node: leases end, it is told to shut down, and it gets 410 afterwards', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'ca-tor', tunnelCidrV4: '100.113.0.0/24', tunnelCidrV6: 'fd00:33::/64', capacity: 100 });
      const key = wgPublicKey();
      expect((await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'ca-tor', publicKey: key })).status).toBe(200);
      const del = await fetch(`${svc.base}/nodes/${node.id}`, { method: 'DELETE', headers: admin() });
      expect(del.status).toBe(204);
      const gone = await peers(node);
      expect(gone.status).toBe(410);
      expect(((await gone.json()) as { code: string }).code).toBe('NODE_DECOMMISSIONED');
      expect((await pulse(svc.base, node, { load: 1, peers: 0, healthy: true })).status).toBe(410);
      expect(await ds.query(`SELECT 1 FROM lease WHERE node_id = $1`, [node.id])).toEqual([]);
      await waitFor(() => events.some((e) => e.nodeId === node.id && e.decommissioned === true && e.removed.includes(key)));
      expect((await fetch(`${svc.base}/nodes/${node.id}`, { method: 'DELETE', headers: admin() })).status).toBe(204);
      expect((await fetch(`${svc.base}/nodes/00000000-0000-4000-8000-000000000000`, { method: 'DELETE', headers: admin() })).status).toBe(404);
      // The same key may enroll again, as a new node.
      const again = await register(registration({ publicKey: node.publicKey, location: 'ca-tor', tunnelCidrV4: '100.113.0.0/24', tunnelCidrV6: 'fd00:33::/64' }));
      expect(again.status).toBe(201);
      expect(((await again.json()) as { id: string }).id).not.toBe(node.id);
    });

    it('manages locations: put, get, delete; in use is 409; public list follows', async () => {
      expect((await fetch(`${svc.base}/admin/locations`)).status).toBe(401);
      const put = (id: string, body: unknown) => fetch(`${svc.base}/admin/locations/${id}`, { method: 'PUT', headers: { ...admin(), ...json }, body: JSON.stringify(body) });
      expect((await put('it-mil', { country: 'IT', city: 'Milan' })).status).toBe(201);
      expect((await put('it-mil', { country: 'IT', city: 'Milano' })).status).toBe(200);
      expect((await put('IT_MIL', { country: 'IT', city: 'Milan' })).status).toBe(400);
      expect((await put('it-rom', { country: 'Italy', city: 'Rome' })).status).toBe(400);
      expect((await put('it-rom', { country: 'IT', city: 'Rome', extra: 1 })).status).toBe(400);
      const one = await fetch(`${svc.base}/admin/locations/it-mil`, { headers: admin() });
      expect(await one.json()).toMatchObject({ id: 'it-mil', country: 'IT', city: 'Milano' });
      const all = (await (await fetch(`${svc.base}/admin/locations`, { headers: admin() })).json()) as Array<{ id: string }>;
      expect(all.map((l) => l.id)).toEqual(expect.arrayContaining(['de-fra', 'it-mil']));
      expect(((await (await fetch(`${svc.base}/locations`)).json()) as Array<{ id: string }>).map((l) => l.id)).toContain('it-mil');
      expect((await fetch(`${svc.base}/admin/locations/de-fra`, { method: 'DELETE', headers: admin() })).status).toBe(204);
      await addNode(svc.base, svc.config, { location: 'it-mil', tunnelCidrV4: '100.114.0.0/24', tunnelCidrV6: 'fd00:34::/64', capacity: 100 });
      expect((await fetch(`${svc.base}/admin/locations/it-mil`, { method: 'DELETE', headers: admin() })).status).toBe(409);
      expect((await fetch(`${svc.base}/admin/locations/xx-none`, { method: 'DELETE', headers: admin() })).status).toBe(404);
    });
  });

  describe('lease expiry and node reaping (commands from job-worker)', () => {
    it('deletes expired leases on network.leases.expire and tells the node', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'au-syd', tunnelCidrV4: '100.115.0.0/24', tunnelCidrV6: 'fd00:35::/64', capacity: 100 });
      const keep = wgPublicKey();
      const expire = wgPublicKey();
      for (const publicKey of [keep, expire]) {
        expect((await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'au-syd', publicKey })).status).toBe(200);
        await waitFor(() => events.some((e) => e.nodeId === node.id && e.added.some((p) => p.publicKey === publicKey)));
      }
      await ds.query(`UPDATE lease SET expires_at = now() - interval '1 minute' WHERE public_key = $1`, [expire]);
      await firstValueFrom(control.send(Patterns.LEASES_EXPIRE, {}).pipe(timeout(10_000)));
      await waitFor(() => events.some((e) => e.nodeId === node.id && e.removed.includes(expire)));
      const rows: Array<{ public_key: string }> = await ds.query(`SELECT public_key FROM lease WHERE node_id = $1`, [node.id]);
      expect(rows.map((r) => r.public_key)).toEqual([keep]);
      const event = events.find((e) => e.nodeId === node.id && e.removed.includes(expire))!;
      const [{ generation }] = await ds.query(`SELECT generation FROM node_generation WHERE node_id = $1`, [node.id]);
      expect(event.generation).toBe(Number(generation));
      expect(event.added).toEqual([]);
    });

    it('marks silent nodes dead and decommissions silent ephemeral nodes on network.nodes.reap', async () => {
      const silent = await addNode(svc.base, svc.config, { location: 'sg-sin', tunnelCidrV4: '100.116.0.0/24', tunnelCidrV6: 'fd00:36::/64', capacity: 100 });
      const ephemeral = await addNode(svc.base, svc.config, { location: 'sg-sin', tunnelCidrV4: '100.117.0.0/24', tunnelCidrV6: 'fd00:37::/64', capacity: 100, ephemeral: true });
      await ds.query(`UPDATE node SET last_pulse_at = now() - interval '10 minutes' WHERE id = ANY($1)`, [[silent.id, ephemeral.id]]);
      await firstValueFrom(control.send(Patterns.NODES_REAP, {}).pipe(timeout(10_000)));
      await waitFor(async () => (await ds.query(`SELECT status FROM node WHERE id = $1`, [silent.id]))[0]?.status === 'dead');
      expect(await ds.query(`SELECT status FROM node WHERE id = $1`, [ephemeral.id])).toEqual([{ status: 'decommissioned' }]);
      // A dead node that pulses again is active, and ramps up from its recovery time.
      expect((await pulse(svc.base, silent, { load: 1, peers: 0, healthy: true })).status).toBe(200);
      const [row] = await ds.query(`SELECT status, recovered_at FROM node WHERE id = $1`, [silent.id]);
      expect(row.status).toBe('active');
      expect(row.recovered_at).not.toBeNull();
    });

    it('expires leases on its own fallback timer when job-worker sends nothing', async () => {
      const other = await startApp(testEnv(db, issuer, { MAINTENANCE_FALLBACK_INTERVAL_SEC: '1' }));
      try {
        const node = await addNode(other.base, other.config, { location: 'us-nyc', tunnelCidrV4: '100.118.0.0/24', tunnelCidrV6: 'fd00:38::/64', capacity: 100 });
        const key = wgPublicKey();
        expect((await redeem(other.base, mintToken(issuer.current, await getChallenge(other.base)), { location: 'us-nyc', publicKey: key })).status).toBe(200);
        await ds.query(`UPDATE lease SET expires_at = now() WHERE public_key = $1`, [key]);
        await waitFor(async () => (await ds.query(`SELECT 1 FROM lease WHERE node_id = $1`, [node.id])).length === 0, 5000);
      } finally {
        await other.close();
        await dropRedisPrefix(other.config.REDIS_KEY_PREFIX);
      }
    });
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
