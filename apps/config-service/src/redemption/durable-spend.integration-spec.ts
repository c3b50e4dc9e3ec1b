import { base64urlDecode, decodeToken, generateIssuerKeyPair } from '@phoenix/crypto';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { ThrowawayRedis } from '@phoenix/common/testing';
import { LocalIssuer, Registered, RunningApp, TestDb, addNode, createNetworkDb, getChallenge, mintToken, pulse, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';
import { LeaseMaintenanceService } from '../leases/lease-maintenance.service';
import { tokenNullifier } from './nullifier';

const DAY = 86_400;

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Redis is only the fast check: the lease transaction also records the token's nullifier in
// Postgres, so a Redis that forgot (flushed, replaced from an empty data dir, failed over to a
// replica that had not caught up) still refuses a spent token. This suite runs its own
// redis-server, so it can flush or replace it without touching the shared one.
describe('a spent token stays spent when Redis forgets it', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let redisServer: ThrowawayRedis;
  let svc: RunningApp;
  let challenge: string;
  let ds: DataSource;
  let redis: Redis;
  let node: Registered;

  const nonceOf = (token: string) => decodeToken(base64urlDecode(token)).nonce;
  const spentKey = (token: string) => `${svc.config.REDIS_KEY_PREFIX}spent:${Buffer.from(nonceOf(token)).toString('hex')}`;
  const leases = async () => Number((await ds.query(`SELECT count(*) AS n FROM lease`))[0].n);
  const spentRow = async (token: string): Promise<{ forget_on: string } | undefined> =>
    (await ds.query(`SELECT forget_on::text FROM spent_token WHERE nullifier = $1`, [tokenNullifier(nonceOf(token))]))[0];
  const ready = async () => (await fetch(`${svc.base}/health/ready`)).status === 200;
  // A Redis that forgot also forgot the nodes' hot metrics: they come back with the next pulse.
  const nodePulses = async () => expect((await pulse(svc.base, node, { load: 10, peers: 0, healthy: true })).status).toBe(200);

  beforeAll(async () => {
    [db, issuer, redisServer] = await Promise.all([createNetworkDb(), LocalIssuer.start(), ThrowawayRedis.start({ appendOnly: true })]);
    svc = await startApp(testEnv(db, issuer, { REDIS_URL: redisServer.url, ISSUER_DIRECTORY_MIN_REFRESH_SEC: '0' }));
    challenge = await getChallenge(svc.base);
    node = await addNode(svc.base, svc.config);
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    redis = redisServer.client();
  }, 60_000);

  afterAll(async () => {
    redis?.disconnect();
    await svc?.close();
    await ds?.destroy();
    await redisServer?.dispose();
    await issuer?.close();
    await db?.drop();
  });

  it('answers 409 TOKEN_REUSED after FLUSHALL, creates no second lease, and marks the token spent in Redis again', async () => {
    const token = mintToken(issuer.current, challenge);
    expect((await redeem(svc.base, token, { publicKey: wgPublicKey() })).status).toBe(200);
    const count = await leases();

    await redisServer.flushAll();
    expect(await redis.dbsize()).toBe(0);
    await nodePulses();

    const res = await redeem(svc.base, token, { publicKey: wgPublicKey() });
    expect(res.status).toBe(409);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 409, code: 'TOKEN_REUSED' });
    expect(body.config).toBeUndefined();
    expect(await leases()).toBe(count);
    // The fresh Redis mark is kept: the next attempt is refused by Redis alone.
    expect(await redis.exists(spentKey(token))).toBe(1);
    expect((await redeem(svc.base, token, { publicKey: wgPublicKey() })).status).toBe(409);

    // Only that token: a new one still redeems.
    expect((await redeem(svc.base, mintToken(issuer.current, challenge), { publicKey: wgPublicKey() })).status).toBe(200);
    expect(await leases()).toBe(count + 1);
  });

  it('answers 409 TOKEN_REUSED after Redis is replaced by one started from an empty data directory', async () => {
    const token = mintToken(issuer.current, challenge);
    expect((await redeem(svc.base, token, { publicKey: wgPublicKey() })).status).toBe(200);
    const count = await leases();

    await redisServer.replace();
    expect(await redis.dbsize()).toBe(0);
    await eventually(ready);
    await nodePulses();

    const res = await redeem(svc.base, token, { publicKey: wgPublicKey() });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('TOKEN_REUSED');
    expect(await leases()).toBe(count);
    expect((await redeem(svc.base, mintToken(issuer.current, challenge), { publicKey: wgPublicKey() })).status).toBe(200);
  }, 60_000);

  it('keeps the nullifier in a table that cannot be joined to a lease: a hash and a day, no ids, no foreign key, no timestamp', async () => {
    const columns = await ds.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'spent_token' ORDER BY column_name`,
    );
    expect(columns).toEqual([
      { column_name: 'forget_on', data_type: 'date' },
      { column_name: 'nullifier', data_type: 'bytea' },
    ]);
    const foreignKeys = await ds.query(
      `SELECT conname FROM pg_constraint WHERE contype = 'f' AND (conrelid = 'spent_token'::regclass OR confrelid = 'spent_token'::regclass)`,
    );
    expect(foreignKeys).toEqual([]);

    // Two tokens of one key, redeemed at different moments, get the same day: the row says which
    // key signed the token (as the token does), never when it was redeemed.
    const a = mintToken(issuer.current, challenge);
    const b = mintToken(issuer.current, challenge);
    expect((await redeem(svc.base, a, { publicKey: wgPublicKey() })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await redeem(svc.base, b, { publicKey: wgPublicKey() })).status).toBe(200);
    const [rowA, rowB] = [await spentRow(a), await spentRow(b)];
    expect(rowA).toBeDefined();
    expect(rowA).toEqual(rowB);
    // The key's not-before plus SPENT_TOKEN_TTL_SEC, rounded up to a UTC day.
    const notBefore = issuer.keys[0]!.notBefore;
    expect(rowA!.forget_on).toBe(new Date(Math.ceil((notBefore + svc.config.SPENT_TOKEN_TTL_SEC) / DAY) * DAY * 1000).toISOString().slice(0, 10));
    // Neither the nonce nor the token is stored.
    const nonceHits = await ds.query(`SELECT count(*)::int AS n FROM spent_token WHERE nullifier = $1`, [Buffer.from(nonceOf(a))]);
    expect(nonceHits).toEqual([{ n: 0 }]);
  });

  it('answers NO_CAPACITY (not UNAVAILABLE) and gives the token back when the lease write finds no free address', async () => {
    const tiny = await addNode(svc.base, svc.config, { location: 'jp-tyo', capacity: 1, tunnelCidrV4: '100.121.0.0/29', tunnelCidrV6: 'fd00:121::/125' });
    // Every address of both pools taken (selection still offers the node: it reported no peers).
    await ds.query(
      `INSERT INTO lease (node_id, public_key, ipv4, ipv6, expires_at)
       SELECT $1, 'filler-' || g, '100.121.0.0'::inet + g, 'fd00:121::'::inet + g, now() + interval '1 hour' FROM generate_series(0, 7) AS g`,
      [tiny.id],
    );
    try {
      const token = mintToken(issuer.current, challenge);
      const res = await redeem(svc.base, token, { location: 'jp-tyo', publicKey: wgPublicKey() });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('NO_CAPACITY');
      expect(await redis.exists(spentKey(token))).toBe(0);
      expect(await spentRow(token)).toBeUndefined();
    } finally {
      // Out of "auto" selection for the other tests.
      const gone = await fetch(`${svc.base}/nodes/${tiny.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${svc.config.ADMIN_TOKEN}` } });
      expect(gone.status).toBe(204);
    }
  });

  it('forgets the nullifiers of a key that can no longer be redeemed in lease maintenance, and keeps the others', async () => {
    // A key whose not-before is older than SPENT_TOKEN_TTL_SEC: its tokens can no longer be
    // redeemable under the issuer's schedule (the test directory still lists it, to mint one).
    const old = await generateIssuerKeyPair();
    issuer.keys.push({ key: old, notBefore: Math.floor(Date.now() / 1000) - svc.config.SPENT_TOKEN_TTL_SEC - DAY });
    const oldToken = mintToken(old, challenge);
    const current = mintToken(issuer.current, challenge);
    expect((await redeem(svc.base, oldToken, { publicKey: wgPublicKey() })).status).toBe(200);
    expect((await redeem(svc.base, current, { publicKey: wgPublicKey() })).status).toBe(200);
    expect(await spentRow(oldToken)).toBeDefined();
    const kept = await ds.query(`SELECT count(*)::int AS n FROM spent_token`);

    const result = await svc.app.get(LeaseMaintenanceService).expireLeases();
    expect(result.ran).toBe(true);

    expect(await spentRow(oldToken)).toBeUndefined();
    expect(await spentRow(current)).toBeDefined();
    expect(await ds.query(`SELECT count(*)::int AS n FROM spent_token`)).toEqual([{ n: kept[0].n - 1 }]);
  });
});
