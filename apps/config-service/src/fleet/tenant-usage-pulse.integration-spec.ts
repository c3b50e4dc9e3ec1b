import { randomUUID } from 'node:crypto';
import { dropRedisPrefix, until } from '@phoenix/common/testing';
import Redis from 'ioredis';
import { LocalIssuer, Registered, RunningApp, TestDb, addNode, createNetworkDb, env, pulse, startApp, testEnv, uniquePrefix } from '../../test/support';
import { MAX_PULSE_TENANTS } from './dto/tenant-bytes.dto';
import { dayOf } from './tenant-usage.store';

describe('pulses with tenantBytes: metered per tenant and day, strictly validated', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let app: RunningApp;
  let redis: Redis;
  let node: Registered;
  const prefix = uniquePrefix();
  const t1 = randomUUID();
  const t2 = randomUUID();
  const base = { load: 10, peers: 2, healthy: true };

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    app = await startApp(testEnv(db, issuer, { REDIS_KEY_PREFIX: prefix }));
    redis = new Redis(env('REDIS_URL'));
    node = await addNode(app.base, app.config);
  });

  afterAll(async () => {
    redis?.disconnect();
    await app?.close();
    await dropRedisPrefix(prefix);
    await issuer?.close();
    await db?.drop();
  });

  const today = () => `${prefix}tenant-usage:{usage}:${dayOf(Date.now())}`;

  it('adds each tenant’s bytes of every accepted pulse into the tenant’s day; nothing of the node in the totals', async () => {
    expect((await pulse(app.base, node, { ...base, tenantBytes: [{ tenantId: t1, bytes: 1_000_000 }, { tenantId: t2.toUpperCase(), bytes: 5 }] })).status).toBe(200);
    expect((await pulse(app.base, node, { ...base, tenantBytes: [{ tenantId: t1, bytes: 2_500_000 }] })).status).toBe(200);
    expect((await pulse(app.base, node, { ...base, tenantBytes: [] })).status).toBe(200);
    expect((await pulse(app.base, node, base)).status).toBe(200);
    const hash = await until('the bytes', 5000, async () => {
      const h = await redis.hgetall(today());
      return h[`${t1}:bytes`] === '3500000' && h[`${t2}:bytes`] === '5' ? h : undefined;
    });
    expect(Object.keys(hash).sort()).toEqual([`${t1}:bytes`, `${t2}:bytes`].sort());
    const dump = JSON.stringify(hash);
    for (const s of [node.id, node.nodeToken, node.publicKey]) expect(dump).not.toContain(s);
  });

  it.each([
    ['a tenant id that is not a UUID', [{ tenantId: 'acme', bytes: 1 }]],
    ['negative bytes', [{ tenantId: t1, bytes: -1 }]],
    ['fractional bytes', [{ tenantId: t1, bytes: 1.5 }]],
    ['bytes past 2^53', [{ tenantId: t1, bytes: 2 ** 53 }]],
    ['bytes as a string', [{ tenantId: t1, bytes: '100' }]],
    ['a missing field', [{ tenantId: t1 }]],
    ['an unknown field', [{ tenantId: t1, bytes: 1, peer: 'x' }]],
    ['a tenant twice', [{ tenantId: t1, bytes: 1 }, { tenantId: t1.toUpperCase(), bytes: 2 }]],
    ['not an array', { tenantId: t1, bytes: 1 }],
    ['an entry that is not an object', [7]],
    ['too many tenants', Array.from({ length: MAX_PULSE_TENANTS + 1 }, () => ({ tenantId: randomUUID(), bytes: 1 }))],
  ])('refuses %s with 400 VALIDATION_FAILED and meters nothing of it', async (_what, tenantBytes) => {
    const before = await redis.hgetall(today());
    const res = await pulse(app.base, node, { ...base, tenantBytes });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    expect(await redis.hgetall(today())).toEqual(before);
  });
});
