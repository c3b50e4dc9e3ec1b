import { ServiceMetrics, type RedisClient } from '@phoenix/common';
import { CapturedLogs, captureServiceLogs, FakeClock, ThrowawayRedis, dropRedisPrefix, redisTestTargets, until } from '@phoenix/common/testing';
import { createRedis } from '@phoenix/database';
import { uniquePrefix } from '../../test/support';
import { RedisKeys } from '../core/redis-keys';
import { TENANT_USAGE_KEEP_DAYS, TenantUsageStore } from './tenant-usage.store';

const A = '0b7e4c1e-59d4-4c8a-9d1e-7a1f4b2c3d4e';
const B = 'f3a2b1c0-1234-4abc-8def-0123456789ab';
const at = (iso: string) => new Date(iso);

/** Every key under `prefix` with its fields (admin connection; SCAN on every master of a cluster). */
async function keysUnder(admin: RedisClient, prefix: string): Promise<string[]> {
  const nodes = 'nodes' in admin && typeof admin.nodes === 'function' ? admin.nodes('master') : [admin];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys.sort();
}

describe.each(redisTestTargets())('TenantUsageStore on the Redis $name', ({ sideUrl, adminUrl }) => {
  const prefix = uniquePrefix();
  const clock = new FakeClock(Date.parse('2030-01-02T10:00:00.000Z'));
  let redis: RedisClient;
  let admin: RedisClient;
  let store: TenantUsageStore;

  beforeAll(() => {
    redis = createRedis(sideUrl('config-service'), 'tenant-usage-spec', { enableOfflineQueue: true });
    admin = createRedis(adminUrl, 'tenant-usage-spec-admin', { enableOfflineQueue: true });
    store = new TenantUsageStore(redis, new RedisKeys(prefix), clock);
  });

  afterAll(async () => {
    redis?.disconnect();
    admin?.disconnect();
    await dropRedisPrefix(prefix, adminUrl);
  });

  it('counts connections, held seconds split across days and bytes per tenant and day; the report reads the days asked for and every changed one, in one slot', async () => {
    expect(store.connection(A, at('2030-01-02T09:00:00Z'))).toBeUndefined();
    store.connection(A, at('2030-01-02T09:30:00Z'));
    store.connection(B.toUpperCase(), at('2030-01-02T09:31:00Z'));
    // A lease of A held from the evening of Dec 30 to 02:00 on Jan 2: three days.
    expect(store.held(A, at('2029-12-31T22:00:00Z'), at('2030-01-02T02:00:00Z'))).toBeUndefined();
    expect(store.bytes(B, 1_500_000_000, at('2030-01-02T09:45:00Z'))).toBeUndefined();
    store.bytes(B, 2_500_000_000, at('2030-01-02T09:46:00Z'));
    store.bytes(A, 0, at('2030-01-02T09:46:00Z'));
    store.bytes(A, -5, at('2030-01-02T09:46:00Z'));
    store.bytes(A, 1.5, at('2030-01-02T09:46:00Z'));

    const first = await until('the counts', 5000, async () => {
      const r = await store.collect(['2030-01-01', '2030-01-02']);
      return r.rows.length === 4 && r.rows.some((row) => row.bytes === 4_000_000_000) ? r : undefined;
    });
    expect(first.changed).toEqual(['2029-12-31', '2030-01-01', '2030-01-02']);
    expect(first.rows).toEqual([
      { day: '2029-12-31', tenantId: A, connections: 0, connectionSeconds: 7200, bytes: 0 },
      { day: '2030-01-01', tenantId: A, connections: 0, connectionSeconds: 86_400, bytes: 0 },
      { day: '2030-01-02', tenantId: A, connections: 2, connectionSeconds: 7200, bytes: 0 },
      { day: '2030-01-02', tenantId: B, connections: 1, connectionSeconds: 0, bytes: 4_000_000_000 },
    ]);

    // Nothing changed since: only the days asked for.
    const second = await store.collect(['2030-01-01', '2030-01-02']);
    expect(second.changed).toEqual([]);
    expect(second.rows.map((r) => r.day)).toEqual(['2030-01-01', '2030-01-02', '2030-01-02']);

    // A lease ending now adds to an older day: that day is reported again, with its whole total.
    store.held(A, at('2029-12-31T23:00:00Z'), at('2029-12-31T23:30:00Z'));
    const third = await until('the late seconds', 5000, async () => {
      const r = await store.collect(['2030-01-02']);
      return r.changed.length > 0 ? r : undefined;
    });
    expect(third.changed).toEqual(['2029-12-31']);
    expect(third.rows.filter((r) => r.day === '2029-12-31')).toEqual([{ day: '2029-12-31', tenantId: A, connections: 0, connectionSeconds: 9000, bytes: 0 }]);

    // A report that could not be sent gives its days back.
    store.markChanged(third.changed);
    const again = await until('the days given back', 5000, async () => {
      const r = await store.collect([]);
      return r.changed.length > 0 ? r : undefined;
    });
    expect(again.changed).toEqual(['2029-12-31']);

    // Keys: a day or the changed set under the {usage} tag; fields: a tenant id and a counter; values: integers.
    const keys = await keysUnder(admin, prefix);
    expect(keys).toEqual([...['2029-12-31', '2030-01-01', '2030-01-02'].map((d) => `${prefix}tenant-usage:{usage}:${d}`)].sort());
    for (const key of keys) {
      const day = key.slice(-10);
      // Expires TENANT_USAGE_KEEP_DAYS after the day ends, whenever it was written.
      expect(await admin.expiretime(key)).toBe((Date.parse(day) + (TENANT_USAGE_KEEP_DAYS + 1) * 86_400_000) / 1000);
      for (const [field, value] of Object.entries(await admin.hgetall(key))) {
        expect(field).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:(connections|seconds|bytes)$/);
        expect(value).toMatch(/^\d+$/);
      }
    }
  });

  it('counts nothing for what is not a tenant id, and never throws', async () => {
    const metrics = new ServiceMetrics('config-service');
    const strict = new TenantUsageStore(redis, new RedisKeys(prefix), clock, metrics);
    expect(strict.connection('not-a-uuid', at('2030-01-02T09:00:00Z'))).toBeUndefined();
    expect(strict.held('', at('2030-01-02T09:00:00Z'), at('2030-01-02T10:00:00Z'))).toBeUndefined();
    expect(await metrics.registry.getSingleMetricAsString('phoenix_tenant_usage_writes_failed_total')).toMatch(/ 2$/m);
  });
});

describe('TenantUsageStore while Redis is down: counting never fails its caller', () => {
  let server: ThrowawayRedis;
  let redis: RedisClient;
  let logs: CapturedLogs;
  const lines = () => logs.lines();

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    logs = captureServiceLogs('config-service');
    redis = createRedis(server.url, 'tenant-usage-down-spec');
    await until('Redis', 5000, () => (redis.status === 'ready' ? true : undefined));
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.dispose();
    logs?.restore();
  });

  it('returns at once, counts and logs the lost counts once, and counts again once Redis is back', async () => {
    const metrics = new ServiceMetrics('config-service');
    const store = new TenantUsageStore(redis, new RedisKeys('network:'), new FakeClock(Date.parse('2030-01-02T10:00:00.000Z')), metrics);
    const failed = async () => Number(/ (\d+)$/m.exec(await metrics.registry.getSingleMetricAsString('phoenix_tenant_usage_writes_failed_total'))?.[1]);
    store.connection(A, at('2030-01-02T09:00:00Z'));
    await until('the first count', 5000, async () => ((await store.collect(['2030-01-02'])).rows[0]?.connections === 1 ? true : undefined));

    await server.stop('SIGKILL');
    for (let i = 0; i < 10; i++) {
      expect(store.connection(A, at('2030-01-02T09:00:00Z'))).toBeUndefined();
      expect(store.held(A, at('2030-01-02T08:00:00Z'), at('2030-01-02T09:00:00Z'))).toBeUndefined();
      expect(store.bytes(A, 1000, at('2030-01-02T09:00:00Z'))).toBeUndefined();
    }
    await expect(store.collect(['2030-01-02'])).rejects.toThrow();
    await until('the outage line', 5000, () => lines().find((l) => l.msg === 'Redis unavailable' && l.connection === 'tenant-usage'));
    await until('30 lost counts', 5000, async () => ((await failed()) === 30 ? true : undefined));

    await server.start();
    await until('Redis again', 10_000, () => (redis.status === 'ready' ? true : undefined));
    store.bytes(A, 7, at('2030-01-02T09:00:00Z'));
    await until('a count after the outage', 5000, async () => ((await store.collect(['2030-01-02']).catch(() => ({ rows: [] }))).rows[0]?.bytes === 7 ? true : undefined));
    await until('the recovery line', 5000, () => lines().find((l) => l.msg === 'Redis available again' && l.connection === 'tenant-usage'));
    expect(lines().filter((l) => l.connection === 'tenant-usage' && l.msg === 'Redis unavailable')).toHaveLength(1);
    expect(logs.text()).not.toContain(A);
  }, 30_000);
});
