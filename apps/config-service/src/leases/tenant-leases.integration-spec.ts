// B2B on the network side (API.md "B2B tenants"): tenant issuers learned from GET /token-issuers,
// their challenges, tenant leases (plan TTL, dedicated nodes), the release of a lease, the tenant
// in peer sets and announcements, and tenant metering — on the real stack (Postgres, Redis).
import { base64urlDecode, decodeTokenChallenge } from '@phoenix/crypto';
import { PEERS_CHANGED_ANY_NODE, PeersChangedEvent } from '@phoenix/common';
import { dropRedisPrefix } from '@phoenix/common/testing';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { TenantUsageStore } from '../fleet/tenant-usage.store';
import { LeaseMaintenanceService } from './lease-maintenance.service';
import {
  LocalIssuer,
  LocalTenant,
  Registered,
  RunningApp,
  TestDb,
  addNode,
  createNetworkDb,
  env,
  getChallenge,
  mintToken,
  pulse,
  redeem,
  startApp,
  testEnv,
  wgPublicKey,
} from '../../test/support';

interface Redeemed {
  node: { id: string; location: string };
  expiresAt: string;
  lease: { id: string; releaseToken: string };
}

interface PeerSet {
  generation: number;
  peers: Array<{ publicKey: string; allowedIps: string[]; expiresAt: string; tenantId: string | null }>;
}

/** Today and yesterday (UTC): a span metered near midnight is split across both. */
const DAYS = () => [new Date(Date.now() - 86_400_000), new Date()].map((d) => d.toISOString().slice(0, 10));

describe('tenants on the network side: issuers, dedicated nodes, tenant leases and their release', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let svc: RunningApp;
  let ds: DataSource;
  let sub: Redis;
  let events: PeersChangedEvent[];
  let acme: LocalTenant;
  let globex: LocalTenant;
  let consumerChallenge: string;

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${svc.base}${path}`, { ...init, headers: { authorization: `Bearer ${svc.config.ADMIN_TOKEN}`, ...(init.headers as Record<string, string>) } });
  const enrollmentToken = async (tenantId: string): Promise<string> => {
    const res = await admin(`/admin/tenants/${tenantId}/enrollment-token`, { method: 'POST' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { tenantId: string; enrollmentToken: string };
    expect(body.tenantId).toBe(tenantId);
    return body.enrollmentToken;
  };
  const tenantToken = async (t: LocalTenant) => mintToken(t.keys[0]!.key, await getChallenge(svc.base, t.issuer));
  const peersOf = async (node: Registered): Promise<PeerSet> =>
    (await (await fetch(`${svc.base}/nodes/${node.id}/peers`, { headers: { authorization: `Bearer ${node.nodeToken}` } })).json()) as PeerSet;
  const release = (body: unknown) => fetch(`${svc.base}/vpn/config`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** The tenant's totals over today and yesterday. */
  const usage = async (tenantId: string) => {
    const rows = (await svc.app.get(TenantUsageStore).collect(DAYS())).rows.filter((r) => r.tenantId === tenantId);
    return rows.length ? { connections: rows.reduce((n, r) => n + r.connections, 0), connectionSeconds: rows.reduce((n, r) => n + r.connectionSeconds, 0) } : undefined;
  };
  const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    acme = await issuer.addTenant({ leaseTtlHours: 3 });
    globex = await issuer.addTenant({ leaseTtlHours: 48 });
    svc = await startApp(testEnv(db, issuer, { ISSUER_DIRECTORY_MIN_REFRESH_SEC: '0' }));
    consumerChallenge = await getChallenge(svc.base);
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    sub = new Redis(env('REDIS_URL'));
    events = [];
    await sub.psubscribe(PEERS_CHANGED_ANY_NODE);
    sub.on('pmessage', (_pattern: string, _channel: string, message: string) => events.push((JSON.parse(message) as { data: PeersChangedEvent }).data));
  });

  afterAll(async () => {
    sub?.disconnect();
    await ds?.destroy();
    await svc?.close();
    if (svc) await dropRedisPrefix(svc.config.REDIS_KEY_PREFIX);
    await issuer?.close();
    await db?.drop();
  });

  describe('GET /vpn/token-challenge?issuer=', () => {
    it("answers a tenant issuer's challenge, the consumer's without the parameter or for its own name, 404 UNKNOWN_ISSUER otherwise", async () => {
      const res = await fetch(`${svc.base}/vpn/token-challenge?issuer=${encodeURIComponent(acme.issuer)}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { challenge: string; issuer: string };
      expect(body.issuer).toBe(acme.issuer);
      const decoded = decodeTokenChallenge(base64urlDecode(body.challenge));
      expect(decoded.issuerName).toBe(acme.issuer);
      expect(decoded.redemptionContext.length).toBe(0);
      expect(decoded.originInfo).toEqual(['phoenix-vpn']);

      const own = new URL(issuer.url).host;
      expect(await getChallenge(svc.base, own)).toBe(consumerChallenge);
      expect(decodeTokenChallenge(base64urlDecode(consumerChallenge)).issuerName).toBe(own);

      const unknown = await fetch(`${svc.base}/vpn/token-challenge?issuer=${encodeURIComponent(`${own}/tenants/00000000-0000-4000-8000-000000000000`)}`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ code: 'UNKNOWN_ISSUER' });
      const twice = await fetch(`${svc.base}/vpn/token-challenge?issuer=a&issuer=b`);
      expect(twice.status).toBe(400);
    });

    it('learns a tenant created after start from auth-service at once', async () => {
      const late = await issuer.addTenant({ leaseTtlHours: 1 });
      expect(decodeTokenChallenge(base64urlDecode(await getChallenge(svc.base, late.issuer))).issuerName).toBe(late.issuer);
    });
  });

  describe('verification', () => {
    it("refuses a tenant-key token that answers the consumer's challenge (401 INVALID_TOKEN), and a consumer-key token with a tenant's", async () => {
      await addNode(svc.base, svc.config, { location: 'se-sto' });
      const res = await redeem(svc.base, mintToken(acme.keys[0]!.key, consumerChallenge), { location: 'se-sto', publicKey: wgPublicKey() });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'INVALID_TOKEN' });
      const other = await redeem(svc.base, mintToken(issuer.current, await getChallenge(svc.base, acme.issuer)), { location: 'se-sto', publicKey: wgPublicKey() });
      expect(other.status).toBe(401);
      // Another tenant's challenge is refused too.
      const crossed = await redeem(svc.base, mintToken(acme.keys[0]!.key, await getChallenge(svc.base, globex.issuer)), { location: 'se-sto', publicKey: wgPublicKey() });
      expect(crossed.status).toBe(401);
    });
  });

  describe('dedicated nodes', () => {
    it('issues enrollment tokens to the admin only, for UUIDs; a new one replaces the old', async () => {
      expect((await fetch(`${svc.base}/admin/tenants/${acme.tenantId}/enrollment-token`, { method: 'POST' })).status).toBe(401);
      const bad = await admin('/admin/tenants/not-a-uuid/enrollment-token', { method: 'POST' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      const first = await enrollmentToken(acme.tenantId);
      const second = await enrollmentToken(acme.tenantId);
      expect(second).not.toBe(first);
      await expect(addNode(svc.base, svc.config, { location: 'ch-zrh', tenantId: acme.tenantId, enrollmentToken: first })).rejects.toThrow(/401/);
      const node = await addNode(svc.base, svc.config, { location: 'ch-zrh', tenantId: acme.tenantId, enrollmentToken: second });
      const listed = (await (await admin('/nodes')).json()) as Array<{ id: string; tenantId: string | null }>;
      expect(listed.find((n) => n.id === node.id)?.tenantId).toBe(acme.tenantId);
    });

    it("registers a dedicated node only with that tenant's token and its tenantId", async () => {
      const token = await enrollmentToken(globex.tenantId);
      // The fleet's token cannot enroll a dedicated node, nor a tenant's token a shared one or another tenant's.
      await expect(addNode(svc.base, svc.config, { location: 'ch-zrh', tenantId: globex.tenantId })).rejects.toThrow(/401/);
      await expect(addNode(svc.base, svc.config, { location: 'ch-zrh', enrollmentToken: token })).rejects.toThrow(/401/);
      await expect(addNode(svc.base, svc.config, { location: 'ch-zrh', tenantId: acme.tenantId, enrollmentToken: token })).rejects.toThrow(/401/);
      await expect(addNode(svc.base, svc.config, { location: 'ch-zrh', tenantId: 'nope', enrollmentToken: token })).rejects.toThrow(/400/);
      // A registered node cannot switch sides.
      const publicKey = wgPublicKey();
      await addNode(svc.base, svc.config, { location: 'ch-zrh', tenantId: globex.tenantId, enrollmentToken: token, publicKey, tunnelCidrV4: '100.91.0.0/24', tunnelCidrV6: 'fd00:91::/64', capacity: 100 });
      await expect(addNode(svc.base, svc.config, { location: 'ch-zrh', publicKey, tunnelCidrV4: '100.91.0.0/24', tunnelCidrV6: 'fd00:91::/64', capacity: 100 })).rejects.toThrow(/409/);
      // Its own token again: the same node (200), dedicated still.
      const again = await addNode(svc.base, svc.config, { location: 'ch-zrh', tenantId: globex.tenantId, enrollmentToken: token, publicKey, tunnelCidrV4: '100.91.0.0/24', tunnelCidrV6: 'fd00:91::/64', capacity: 100 });
      const listed = (await (await admin('/nodes')).json()) as Array<{ id: string; tenantId: string | null }>;
      expect(listed.find((n) => n.id === again.id)?.tenantId).toBe(globex.tenantId);
    });

    it("puts a tenant's leases on its dedicated node (plan TTL, tenant on the peer and in the announcement); consumers and other tenants never land there", async () => {
      const token = await enrollmentToken(acme.tenantId);
      const dedicated = await addNode(svc.base, svc.config, { location: 'au-syd', tenantId: acme.tenantId, enrollmentToken: token, capacity: 100 });
      // The shared node in the location is full: the dedicated node is the only one with room.
      const shared = await addNode(svc.base, svc.config, { location: 'au-syd', capacity: 1 });
      expect((await pulse(svc.base, shared, { load: 10, peers: 1, healthy: true })).status).toBe(200);

      for (let i = 0; i < 20; i++) {
        const res = await redeem(svc.base, mintToken(issuer.current, consumerChallenge), { location: i % 2 ? 'au-syd' : 'auto', publicKey: wgPublicKey() });
        if (i % 2) {
          expect(res.status).toBe(503);
          expect(await res.json()).toMatchObject({ code: 'NO_CAPACITY' });
        } else if (res.status === 200) {
          // auto may find room elsewhere, never on the dedicated node.
          expect(((await res.json()) as Redeemed).node.id).not.toBe(dedicated.id);
        }
      }
      for (let i = 0; i < 5; i++) {
        const res = await redeem(svc.base, await tenantToken(globex), { location: 'au-syd', publicKey: wgPublicKey() });
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ code: 'NO_CAPACITY' });
      }
      expect((await peersOf(dedicated)).peers).toEqual([]);

      const publicKey = wgPublicKey();
      const heard = events.length;
      const before = Date.now();
      const res = await redeem(svc.base, await tenantToken(acme), { location: 'au-syd', publicKey });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Redeemed;
      expect(body.node.id).toBe(dedicated.id);
      expect(body.lease.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.lease.releaseToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const ttlMs = Date.parse(body.expiresAt) - before;
      expect(ttlMs).toBeGreaterThan(3 * 3600_000 - 60_000);
      expect(ttlMs).toBeLessThan(3 * 3600_000 + 60_000);
      const rows: Array<{ tenant_id: string; hash_len: number }> = await ds.query(`SELECT tenant_id, octet_length(release_token_hash) AS hash_len FROM lease WHERE id = $1`, [body.lease.id]);
      expect(rows).toEqual([{ tenant_id: acme.tenantId, hash_len: 32 }]);
      expect((await peersOf(dedicated)).peers).toEqual([expect.objectContaining({ publicKey, tenantId: acme.tenantId })]);
      await until('the announcement', () => events.slice(heard).some((e) => e.nodeId === dedicated.id && e.added.some((p) => p.publicKey === publicKey)));
      const told = events.slice(heard).find((e) => e.nodeId === dedicated.id)!;
      expect(told.added).toEqual([expect.objectContaining({ publicKey, tenantId: acme.tenantId })]);
      await until('the connection to be counted', async () => (await usage(acme.tenantId))?.connections === 1);

      // The tenant's dedicated node full, its tokens fall back to shared nodes with room.
      expect((await pulse(svc.base, dedicated, { load: 100, peers: 100, healthy: true })).status).toBe(200);
      const roomy = await addNode(svc.base, svc.config, { location: 'au-syd', capacity: 10 });
      const fallback = (await (await redeem(svc.base, await tenantToken(acme), { location: 'au-syd', publicKey: wgPublicKey() })).json()) as Redeemed;
      expect(fallback.node.id).toBe(roomy.id);
      // A consumer lease says so in the peer set.
      const consumer = (await (await redeem(svc.base, mintToken(issuer.current, consumerChallenge), { location: 'au-syd', publicKey: wgPublicKey() })).json()) as Redeemed;
      expect(consumer.node.id).toBe(roomy.id);
      expect((await peersOf(roomy)).peers.map((p) => p.tenantId).sort()).toEqual([acme.tenantId, null].sort());
    });
  });

  describe('DELETE /vpn/config', () => {
    let node: Registered;
    beforeAll(async () => {
      node = await addNode(svc.base, svc.config, { location: 'us-sfo', capacity: 100 });
    });

    it('ends the lease at once: 204, the peer gone from the peer set, the removal announced, held time metered; then 404', async () => {
      const publicKey = wgPublicKey();
      const body = (await (await redeem(svc.base, await tenantToken(globex), { location: 'us-sfo', publicKey })).json()) as Redeemed;
      expect(body.node.id).toBe(node.id);
      // 48 h: the plan's TTL, longer than LEASE_TTL_SEC.
      expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(47 * 3600_000);
      const before = await peersOf(node);
      expect(before.peers.map((p) => p.publicKey)).toContain(publicKey);
      await new Promise((r) => setTimeout(r, 1100));
      const heard = events.length;

      const res = await release({ leaseId: body.lease.id, releaseToken: body.lease.releaseToken });
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      const after = await peersOf(node);
      expect(after.peers.map((p) => p.publicKey)).not.toContain(publicKey);
      expect(after.generation).toBeGreaterThan(before.generation);
      await until('the removal to be announced', () => events.slice(heard).some((e) => e.nodeId === node.id && e.removed.includes(publicKey)));
      const told = events.slice(heard).find((e) => e.nodeId === node.id && e.removed.includes(publicKey))!;
      expect(told.generation).toBe(after.generation);
      expect(await ds.query(`SELECT 1 FROM lease WHERE id = $1`, [body.lease.id])).toEqual([]);
      await until('the held seconds to be counted', async () => ((await usage(globex.tenantId))?.connectionSeconds ?? 0) >= 1);

      const again = await release({ leaseId: body.lease.id, releaseToken: body.lease.releaseToken });
      expect(again.status).toBe(404);
      expect(await again.json()).toMatchObject({ code: 'UNKNOWN_LEASE' });
    });

    it('ends a consumer lease the same way', async () => {
      const publicKey = wgPublicKey();
      const body = (await (await redeem(svc.base, mintToken(issuer.current, consumerChallenge), { location: 'us-sfo', publicKey })).json()) as Redeemed;
      expect((await release({ leaseId: body.lease.id, releaseToken: body.lease.releaseToken })).status).toBe(204);
      expect((await peersOf(node)).peers.map((p) => p.publicKey)).not.toContain(publicKey);
    });

    it('answers 404 UNKNOWN_LEASE, and keeps the lease, for a wrong token, an unknown lease or an expired one', async () => {
      const body = (await (await redeem(svc.base, mintToken(issuer.current, consumerChallenge), { location: 'us-sfo', publicKey: wgPublicKey() })).json()) as Redeemed;
      const otherToken = `${body.lease.releaseToken.slice(0, 42)}${body.lease.releaseToken.endsWith('A') ? 'B' : 'A'}`;
      for (const attempt of [
        { leaseId: body.lease.id, releaseToken: otherToken },
        { leaseId: '00000000-0000-4000-8000-000000000000', releaseToken: body.lease.releaseToken },
      ]) {
        const res = await release(attempt);
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ code: 'UNKNOWN_LEASE' });
      }
      expect(await ds.query(`SELECT 1 FROM lease WHERE id = $1`, [body.lease.id])).toHaveLength(1);
      await ds.query(`UPDATE lease SET expires_at = now() - interval '1 second' WHERE id = $1`, [body.lease.id]);
      const expired = await release({ leaseId: body.lease.id, releaseToken: body.lease.releaseToken });
      expect(expired.status).toBe(404);
    });

    it.each([
      ['no body', undefined],
      ['an empty object', {}],
      ['a lease id that is not a UUID', { leaseId: 'x', releaseToken: 'A'.repeat(43) }],
      ['a release token of the wrong length', { leaseId: '00000000-0000-4000-8000-000000000000', releaseToken: 'A'.repeat(42) }],
      ['an unknown field', { leaseId: '00000000-0000-4000-8000-000000000000', releaseToken: 'A'.repeat(43), publicKey: 'x' }],
      ['an array', [1]],
    ])('answers 400 for %s', async (_name, body) => {
      const res =
        body === undefined
          ? await fetch(`${svc.base}/vpn/config`, { method: 'DELETE' })
          : await release(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toMatch(/^(VALIDATION_FAILED|MALFORMED_BODY)$/);
    });
  });

  describe('metering when tenant leases end by themselves', () => {
    it('counts held time at expiry (until the expiry) and at decommission', async () => {
      const node = await addNode(svc.base, svc.config, { location: 'sg-sin', capacity: 100 });
      const tenant = await issuer.addTenant({ leaseTtlHours: 2 });
      const a = (await (await redeem(svc.base, await tenantToken(tenant), { location: 'sg-sin', publicKey: wgPublicKey() })).json()) as Redeemed;
      const b = (await (await redeem(svc.base, await tenantToken(tenant), { location: 'sg-sin', publicKey: wgPublicKey() })).json()) as Redeemed;
      // One began an hour ago and expired a minute ago: 59 minutes held.
      await ds.query(`UPDATE lease SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 minute' WHERE id = $1`, [a.lease.id]);
      const expired = await svc.app.get(LeaseMaintenanceService).expireLeases();
      expect(expired.count).toBeGreaterThanOrEqual(1);
      await until('the expired lease to be metered', async () => (await usage(tenant.tenantId))?.connectionSeconds === 59 * 60);
      // The other began half an hour ago; the node is decommissioned now.
      await ds.query(`UPDATE lease SET created_at = now() - interval '30 minutes' WHERE id = $1`, [b.lease.id]);
      expect((await admin(`/nodes/${node.id}`, { method: 'DELETE' })).status).toBe(204);
      await until('the decommissioned lease to be metered', async () => {
        const s = (await usage(tenant.tenantId))?.connectionSeconds ?? 0;
        return s >= 59 * 60 + 30 * 60 && s <= 59 * 60 + 30 * 60 + 5;
      });
      expect((await usage(tenant.tenantId))?.connections).toBe(2);
    });
  });
});
