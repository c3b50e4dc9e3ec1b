import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { CuttableProxy, ThrowawayRedis } from '@phoenix/common/testing';
import { LocalIssuer, RunningApp, TestDb, addNode, createNetworkDb, getChallenge, mintToken, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('did not recover in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('dependencies down: 503 UNAVAILABLE, nothing spent, no config, and recovery', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let redisServer: ThrowawayRedis;
  let proxy: CuttableProxy;
  let svc: RunningApp;
  let challenge: string;
  let ds: DataSource;

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    redisServer = await ThrowawayRedis.start({ appendOnly: true });
    const pg = new URL(db.url);
    proxy = new CuttableProxy({ host: pg.hostname, port: Number(pg.port) });
    await proxy.start();
    // The proxy takes "the database" down for this suite alone.
    svc = await startApp(testEnv(db, issuer, { REDIS_URL: redisServer.url, NETWORK_DATABASE_URL: proxy.proxied(db.url) }));
    challenge = await getChallenge(svc.base);
    await addNode(svc.base, svc.config);
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await ds?.destroy();
    await proxy?.close();
    await redisServer?.dispose();
    await issuer?.close();
    await db?.drop();
  });

  const leases = async () => Number((await ds.query(`SELECT count(*) AS n FROM lease`))[0].n);

  it('answers 503 while Redis is down, spends nothing, and serves the same token once Redis is back', async () => {
    const before = mintToken(issuer.current, challenge);
    expect((await redeem(svc.base, before, { publicKey: wgPublicKey() })).status).toBe(200);
    const count = await leases();

    await redisServer.stop();
    const token = mintToken(issuer.current, challenge);
    const res = await redeem(svc.base, token, { publicKey: wgPublicKey() });
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE' });
    expect(body.config).toBeUndefined();
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|redis:/i);
    expect(await leases()).toBe(count);
    expect((await fetch(`${svc.base}/health/ready`)).status).toBe(503);

    await redisServer.start();
    await eventually(async () => (await fetch(`${svc.base}/health/ready`)).status === 200);
    // The spend made before the outage survived it; the token tried during it was never spent.
    expect((await redeem(svc.base, before, { publicKey: wgPublicKey() })).status).toBe(409);
    expect((await redeem(svc.base, token, { publicKey: wgPublicKey() })).status).toBe(200);
  }, 60_000);

  it('answers 503 while Postgres is unreachable, spends nothing, and recovers', async () => {
    const token = mintToken(issuer.current, challenge);
    proxy.cut();
    const res = await redeem(svc.base, token, { publicKey: wgPublicKey() });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('UNAVAILABLE');
    const spent = new Redis({ port: redisServer.port, host: '127.0.0.1' });
    try {
      expect(await spent.keys(`${svc.config.REDIS_KEY_PREFIX}spent:*`)).toHaveLength(2);
    } finally {
      spent.disconnect();
    }
    proxy.restore();
    await eventually(async () => (await redeem(svc.base, token, { publicKey: wgPublicKey() })).status === 200);
  }, 60_000);
});
