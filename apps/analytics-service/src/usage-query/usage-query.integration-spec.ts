import { randomUUID } from 'node:crypto';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { Patterns, TenantUsageQueryReply, createServiceApp, loadConfig, redisClientOptions, redisTransportOptions } from '@phoenix/common';
import { CuttableProxy, RedisWithUsers, redisWithUsers } from '@phoenix/common/testing';
import { createClickHouse } from '@phoenix/database';
import { firstValueFrom, timeout } from 'rxjs';
import { AppModule } from '../app.module';
import { configShape } from '../config';

/**
 * `tenant_usage_daily` exactly as the B2B interface (point 7) defines it, created here only when the
 * table is not there yet (its migration is the metering path's, not this suite's).
 */
export const TENANT_USAGE_DAILY_DDL = `CREATE TABLE IF NOT EXISTS tenant_usage_daily (day Date, tenant_id String, connections UInt64, connection_seconds UInt64, bytes UInt64, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY (tenant_id, day)`;

interface Stored {
  day: string;
  tenant_id: string;
  connections: number;
  connection_seconds: number;
  bytes: number;
  version: number;
}

// auth-service's question to analytics-service, over a Redis of this suite's own with the
// repository's Redis users: asked as the identity side's user (the only one allowed to), answered
// by analytics-service as its own, read from the stack's ClickHouse through a proxy this suite can cut.
describe('analytics-service: analytics.tenant-usage.query (one tenant’s days)', () => {
  let redis: RedisWithUsers;
  let proxy: CuttableProxy;
  let app: NestFastifyApplication;
  let ch: ClickHouseClient;
  let asker: ClientProxy;
  const a = randomUUID();
  const b = randomUUID();

  const ask = (payload: unknown) => firstValueFrom(asker.send<TenantUsageQueryReply>(Patterns.ANALYTICS_TENANT_USAGE_QUERY, payload).pipe(timeout(10_000)));
  const row = (tenant: string, day: string, connections: number, seconds: number, bytes: number, version: number): Stored => ({ day, tenant_id: tenant, connections, connection_seconds: seconds, bytes, version });

  beforeAll(async () => {
    ch = createClickHouse(process.env.CLICKHOUSE_URL ?? '');
    await ch.command({ query: TENANT_USAGE_DAILY_DDL });
    await ch.insert({
      table: 'tenant_usage_daily',
      format: 'JSONEachRow',
      values: [
        row(a, '2026-10-31', 1, 60, 1000, 1),
        row(a, '2026-11-01', 3, 7200, 2_000_000_000, 1),
        // A later report of the same day replaces the earlier one (FINAL), whichever was inserted first.
        row(a, '2026-11-02', 9, 9000, 9, 3),
        row(a, '2026-11-02', 5, 5400, 5, 2),
        row(a, '2026-11-30', 2, 1800, 123_456_789, 1),
        row(a, '2026-12-01', 4, 100, 100, 1),
        row(b, '2026-11-01', 70, 70_000, 70_000_000_000, 1),
        row(b, '2026-11-15', 8, 800, 800, 1),
      ],
    });
    redis = await redisWithUsers();
    proxy = new CuttableProxy({ host: new URL(process.env.CLICKHOUSE_URL ?? '').hostname, port: Number(new URL(process.env.CLICKHOUSE_URL ?? '').port) });
    await proxy.start();
    const config = loadConfig(configShape, { ...process.env, REDIS_URL: redis.sideUrl('analytics-service'), CLICKHOUSE_URL: proxy.proxied(process.env.CLICKHOUSE_URL ?? ''), LOG_LEVEL: 'silent' });
    app = await createServiceApp({ service: 'analytics-service', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
    app.connectMicroservice(redisTransportOptions(config.REDIS_URL), { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    asker = ClientProxyFactory.create(redisClientOptions('usage-asker', redis.sideUrl('auth-service')) as never) as unknown as ClientProxy;
    await asker.connect();
  }, 60_000);

  afterAll(async () => {
    await asker?.close();
    await app?.close();
    await proxy?.close();
    await redis?.dispose();
    await ch?.command({ query: `ALTER TABLE tenant_usage_daily DELETE WHERE tenant_id IN ('${a}', '${b}')` }).catch(() => undefined);
    await ch?.close();
  });

  it("answers exactly the tenant's days in the range, latest report of each, ordered by day", async () => {
    expect(await ask({ tenantId: a, from: '2026-11-01', to: '2026-11-30' })).toEqual({
      rows: [
        { day: '2026-11-01', connections: 3, connectionSeconds: 7200, bytes: 2_000_000_000 },
        { day: '2026-11-02', connections: 9, connectionSeconds: 9000, bytes: 9 },
        { day: '2026-11-30', connections: 2, connectionSeconds: 1800, bytes: 123_456_789 },
      ],
    });
    expect(await ask({ tenantId: b, from: '2026-11-01', to: '2026-11-30' })).toEqual({
      rows: [
        { day: '2026-11-01', connections: 70, connectionSeconds: 70_000, bytes: 70_000_000_000 },
        { day: '2026-11-15', connections: 8, connectionSeconds: 800, bytes: 800 },
      ],
    });
    expect(await ask({ tenantId: a, from: '2026-12-01', to: '2026-12-01' })).toEqual({ rows: [{ day: '2026-12-01', connections: 4, connectionSeconds: 100, bytes: 100 }] });
    expect(await ask({ tenantId: randomUUID(), from: '2026-01-01', to: '2026-12-31' })).toEqual({ rows: [] });
  });

  it.each<[string, unknown]>([
    ['a tenant id that would break out of the SQL', { tenantId: `${a}' OR tenant_id != '`, from: '2026-11-01', to: '2026-11-30' }],
    ['more than 366 days', { tenantId: a, from: '2025-01-01', to: '2026-12-31' }],
    ['from after to', { tenantId: a, from: '2026-11-30', to: '2026-11-01' }],
    ['an extra field', { tenantId: a, from: '2026-11-01', to: '2026-11-30', deviceId: 'd-1' }],
  ])('answers VALIDATION_FAILED to %s, and reads nothing', async (_name, payload) => {
    await expect(ask(payload)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers UNAVAILABLE while ClickHouse is out of reach, and the rows again once it is back', async () => {
    proxy.cut();
    try {
      await expect(ask({ tenantId: b, from: '2026-11-01', to: '2026-11-30' })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'ClickHouse is unavailable' });
    } finally {
      proxy.restore();
    }
    expect((await ask({ tenantId: b, from: '2026-11-01', to: '2026-11-30' })).rows).toHaveLength(2);
  });

  it("lets no other side ask: config-service's Redis user may not publish the query", async () => {
    const network = ClientProxyFactory.create(redisClientOptions('usage-network', redis.sideUrl('config-service')) as never) as unknown as ClientProxy;
    try {
      // Its publish is refused (NOPERM), so no reply can ever come.
      await expect(firstValueFrom(network.send(Patterns.ANALYTICS_TENANT_USAGE_QUERY, { tenantId: a, from: '2026-11-01', to: '2026-11-30' }).pipe(timeout(2000)))).rejects.toThrow();
    } finally {
      await network.close();
    }
  });
});
