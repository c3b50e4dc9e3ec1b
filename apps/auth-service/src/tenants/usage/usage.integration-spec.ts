import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import type { ClickHouseClient } from '@clickhouse/client';
import { Patterns, type ScheduledCommand, redisClientOptions } from '@phoenix/common';
import { RedisWithUsers, ServiceProcess, dropRedisPrefix, freeLoopbackPort, redisWithUsers, spawnService, waitForHttp, until } from '@phoenix/common/testing';
import { createClickHouse } from '@phoenix/database';
import Redis from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import { DataSource } from 'typeorm';
import { TestApp, TestDatabase, bearer, json, migratedTestDatabase, startStripeStandIn, startTestApp, testEnv, uniquePrefix } from '../../../test/helpers';
import type { TenantUsageBillingResult } from './usage-billing';

/** `tenant_usage_daily` exactly as the B2B interface (point 7) defines it; created only when its migration has not run here yet. */
const TENANT_USAGE_DAILY_DDL = `CREATE TABLE IF NOT EXISTS tenant_usage_daily (day Date, tenant_id String, connections UInt64, connection_seconds UInt64, bytes UInt64, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY (tenant_id, day)`;
const PLAN = { maxUsers: 10, maxDevicesPerUser: 2, tokensPerDevicePerDay: 48, leaseTtlHours: 24 };

interface Row {
  day: string;
  connections: number;
  connectionHours: number;
  gigabytes: number;
}
type MeterEvent = Record<string, string | null>;

// GET /api/v1/usage and the monthly Stripe report end to end: auth-service (in process) asks a real
// analytics-service (its own process) over a Redis of this suite's own with the repository's Redis
// users, which reads real rows of the stack's ClickHouse; Stripe is the local stand-in.
describe('tenant usage: GET /api/v1/usage and the monthly Stripe meter events (API.md "B2B tenants")', () => {
  let redis: RedisWithUsers;
  let admin: Redis;
  let analytics: ServiceProcess;
  let ch: ClickHouseClient;
  let db: TestDatabase;
  let ds: DataSource;
  let stripe: Awaited<ReturnType<typeof startStripeStandIn>>;
  let t: TestApp;
  let jobs: ClientProxy;
  const prefix = uniquePrefix();
  const tenants: Record<'a' | 'b' | 'c', { id: string; apiKey: string }> = {} as never;

  const adminCall = (method: string, path: string, body?: unknown) =>
    fetch(`${t.base}${path}`, { method, headers: { ...bearer(t.config.ADMIN_TOKEN), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const usage = (apiKey: string | null, query: string) => fetch(`${t.base}/api/v1/usage${query}`, { headers: apiKey === null ? {} : { 'x-api-key': apiKey } });
  const expectError = async (res: Response, status: number, code: string) => expect({ status: res.status, code: (await json(res)).code }).toEqual({ status, code });
  const command = (period: string, key = `${Patterns.TENANT_USAGE_BILLING}@${period}`): ScheduledCommand => ({ schedule: Patterns.TENANT_USAGE_BILLING, period, idempotencyKey: key });
  const report = (cmd: ScheduledCommand) => firstValueFrom(jobs.send<TenantUsageBillingResult>(Patterns.TENANT_USAGE_BILLING, cmd).pipe(timeout(60_000)));
  const meterEvents = (): MeterEvent[] =>
    stripe.calls
      .filter((c) => c.method === 'POST' && c.path === '/v1/billing/meter_events')
      .map((c) => {
        const f = new URLSearchParams(c.body);
        return { event_name: f.get('event_name'), customer: f.get('payload[stripe_customer_id]'), value: f.get('payload[value]'), identifier: f.get('identifier'), timestamp: f.get('timestamp') };
      });
  const listening = async (channel: string) => Number(((await admin.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1]);

  async function newTenant(stripeCustomerId?: string): Promise<{ id: string; apiKey: string }> {
    const res = await adminCall('POST', '/admin/tenants', { name: 'Usage Co', plan: PLAN, ...(stripeCustomerId ? { stripeCustomerId } : {}) });
    expect(res.status).toBe(201);
    const body = await json<{ id: string }>(res);
    // The contract's answer, unchanged: the customer is not part of the tenant's view.
    expect(Object.keys(body).sort()).toEqual(['createdAt', 'id', 'name', 'plan', 'status']);
    const key = await json<{ apiKey: string }>(await adminCall('POST', `/admin/tenants/${body.id}/api-keys`));
    return { id: body.id, apiKey: key.apiKey };
  }

  beforeAll(async () => {
    redis = await redisWithUsers();
    admin = new Redis(redis.adminUrl, { maxRetriesPerRequest: 1 });
    const port = await freeLoopbackPort();
    analytics = spawnService('analytics-service', { ...process.env, REDIS_URL: redis.sideUrl('analytics-service'), PORT: String(port), LOG_LEVEL: 'warn' });
    db = await migratedTestDatabase();
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    stripe = await startStripeStandIn();
    t = await startTestApp(testEnv(db, prefix, { REDIS_URL: redis.sideUrl('auth-service'), STRIPE_API_URL: stripe.url }), { transport: true });
    jobs = ClientProxyFactory.create(redisClientOptions('usage-jobs', redis.sideUrl('job-worker')) as never) as unknown as ClientProxy;
    await jobs.connect();

    tenants.a = await newTenant('cus_TenantA1');
    tenants.b = await newTenant();
    tenants.c = await newTenant();
    ch = createClickHouse(process.env.CLICKHOUSE_URL ?? '');
    await ch.command({ query: TENANT_USAGE_DAILY_DDL });
    const row = (tenant: string, day: string, connections: number, seconds: number, bytes: number, version = 1) => ({ day, tenant_id: tenant, connections, connection_seconds: seconds, bytes, version });
    await ch.insert({
      table: 'tenant_usage_daily',
      format: 'JSONEachRow',
      values: [
        row(tenants.a.id, '2026-10-31', 50, 50, 50),
        row(tenants.a.id, '2026-11-01', 3, 5400, 1_500_000_000),
        row(tenants.a.id, '2026-11-03', 1, 7, 123_456_789, 1),
        row(tenants.a.id, '2026-11-03', 2, 10, 223_456_789, 2), // the later report of the day wins
        row(tenants.a.id, '2026-11-30', 10, 36_000, 2_000_000_000),
        row(tenants.a.id, '2026-12-01', 4, 100, 5_000_000),
        row(tenants.b.id, '2026-11-02', 700, 7_000_000, 70_000_000_000),
        row(tenants.a.id, '2027-02-10', 5, 3600, 1_000_000_000),
        row(tenants.b.id, '2027-02-11', 6, 7200, 2_000_000_000),
      ],
    });
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 60_000);
    // Its transport subscribes once it has started: the query has a listener then.
    const deadline = Date.now() + 30_000;
    while ((await listening(Patterns.ANALYTICS_TENANT_USAGE_QUERY)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  }, 120_000);

  afterAll(async () => {
    await jobs?.close();
    await t?.close();
    await analytics?.stop();
    await stripe?.close();
    await ds?.destroy();
    await db?.drop();
    admin?.disconnect();
    await redis?.dispose();
    await dropRedisPrefix(prefix).catch(() => undefined);
    const ids = Object.values(tenants).map((x) => `'${x.id}'`);
    if (ch && ids.length) await ch.command({ query: `ALTER TABLE tenant_usage_daily DELETE WHERE tenant_id IN (${ids.join(', ')})` }).catch(() => undefined);
    await ch?.close();
  });

  describe('GET /api/v1/usage (API key alone)', () => {
    it("answers the key's tenant's days only, hours and gigabytes to 6 decimals, ordered by day", async () => {
      const res = await usage(tenants.a.apiKey, '?from=2026-11-01&to=2026-11-30');
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual({
        rows: [
          { day: '2026-11-01', connections: 3, connectionHours: 1.5, gigabytes: 1.5 },
          { day: '2026-11-03', connections: 2, connectionHours: 0.002778, gigabytes: 0.223457 },
          { day: '2026-11-30', connections: 10, connectionHours: 10, gigabytes: 2 },
        ],
      });
      // Tenant b's key sees b's day only, never a's; tenant c has none at all.
      expect(await json(await usage(tenants.b.apiKey, '?from=2026-11-01&to=2026-11-30'))).toEqual({ rows: [{ day: '2026-11-02', connections: 700, connectionHours: 1944.444444, gigabytes: 70 }] });
      expect(await json(await usage(tenants.c.apiKey, '?from=2026-01-01&to=2026-12-31'))).toEqual({ rows: [] });
      const one = await json<{ rows: Row[] }>(await usage(tenants.a.apiKey, '?from=2026-12-01&to=2026-12-01'));
      expect(one.rows).toEqual([{ day: '2026-12-01', connections: 4, connectionHours: 0.027778, gigabytes: 0.005 }]);
    });

    it.each([
      ['no to', '?from=2026-11-01'],
      ['no parameters', ''],
      ['from after to', '?from=2026-11-30&to=2026-11-01'],
      ['367 days', '?from=2026-01-01&to=2027-01-02'],
      ['a date that does not exist', '?from=2026-02-01&to=2026-02-30'],
      ['a time of day', '?from=2026-11-01T00:00:00Z&to=2026-11-30'],
      ['a repeated from', '?from=2026-11-01&from=2026-11-02&to=2026-11-30'],
      ['another parameter (a tenant)', `?from=2026-11-01&to=2026-11-30&tenantId=${'0'.repeat(8)}`],
    ])('answers 400 VALIDATION_FAILED to %s', async (_name, query) => {
      await expectError(await usage(tenants.a.apiKey, query), 400, 'VALIDATION_FAILED');
    });

    it('takes 366 days, and asks for a key: none or a wrong one is 401 INVALID_API_KEY, a suspended tenant 403', async () => {
      expect((await usage(tenants.a.apiKey, '?from=2026-01-01&to=2027-01-01')).status).toBe(200);
      await expectError(await usage(null, '?from=2026-11-01&to=2026-11-30'), 401, 'INVALID_API_KEY');
      await expectError(await usage(`${tenants.a.apiKey.slice(0, -2)}xx`, '?from=2026-11-01&to=2026-11-30'), 401, 'INVALID_API_KEY');
      expect((await adminCall('POST', `/admin/tenants/${tenants.c.id}/suspend`)).status).toBe(200);
      await expectError(await usage(tenants.c.apiKey, '?from=2026-11-01&to=2026-11-30'), 403, 'TENANT_SUSPENDED');
      expect((await adminCall('POST', `/admin/tenants/${tenants.c.id}/resume`)).status).toBe(200);
    });
  });

  describe("the operator: a tenant's Stripe customer", () => {
    it('is read and set with GET/PUT /admin/tenants/:id/billing, cleared with null, and checked', async () => {
      expect(await json(await adminCall('GET', `/admin/tenants/${tenants.a.id}/billing`))).toEqual({ tenantId: tenants.a.id, stripeCustomerId: 'cus_TenantA1' });
      const set = await adminCall('PUT', `/admin/tenants/${tenants.b.id}/billing`, { stripeCustomerId: 'cus_TenantB2' });
      expect(set.status).toBe(200);
      expect(await json(set)).toEqual({ tenantId: tenants.b.id, stripeCustomerId: 'cus_TenantB2' });
      expect((await json(await adminCall('PUT', `/admin/tenants/${tenants.c.id}/billing`, { stripeCustomerId: 'cus_TenantC3' }))).stripeCustomerId).toBe('cus_TenantC3');
      expect(await json(await adminCall('PUT', `/admin/tenants/${tenants.c.id}/billing`, { stripeCustomerId: null }))).toEqual({ tenantId: tenants.c.id, stripeCustomerId: null });
      for (const body of [{ stripeCustomerId: 'acct_123' }, { stripeCustomerId: "cus_x' OR 1=1" }, {}, { stripeCustomerId: 7 }, { stripeCustomerId: 'cus_ok', extra: 1 }]) {
        await expectError(await adminCall('PUT', `/admin/tenants/${tenants.c.id}/billing`, body), 400, 'VALIDATION_FAILED');
      }
      await expectError(await adminCall('POST', '/admin/tenants', { name: 'X', plan: PLAN, stripeCustomerId: 'nope' }), 400, 'VALIDATION_FAILED');
      await expectError(await adminCall('PUT', `/admin/tenants/00000000-0000-4000-8000-000000000000/billing`, { stripeCustomerId: 'cus_x' }), 404, 'NOT_FOUND');
      await expectError(await fetch(`${t.base}/admin/tenants/${tenants.c.id}/billing`), 401, 'UNAUTHENTICATED');
    });
  });

  describe('identity.billing.tenant-usage (monthly, from job-worker)', () => {
    it("sends each billed tenant's previous month as one meter event per metric, identified <tenantId>:<YYYY-MM>:<metric>", async () => {
      const before = Math.floor(Date.now() / 1000);
      const reply = await report(command('2026-12-01T05:00:00.000Z'));
      expect(reply).toEqual({ month: '2026-11', tenants: 2, sent: 6, alreadyReported: 0, zero: 0 });
      const events = meterEvents().sort((x, y) => String(x.identifier).localeCompare(String(y.identifier)));
      const a = tenants.a.id;
      const b = tenants.b.id;
      const expected: MeterEvent[] = [
        // a: 3 + 2 + 10 connections; 5400 + 10 + 36000 s; 1.5 + 0.223456789 + 2 GB (the later report of 11-03)
        { event_name: 'phoenix_tenant_connection_hours', customer: 'cus_TenantA1', value: '11.502778', identifier: `${a}:2026-11:connection_hours` },
        { event_name: 'phoenix_tenant_connections', customer: 'cus_TenantA1', value: '15', identifier: `${a}:2026-11:connections` },
        { event_name: 'phoenix_tenant_gigabytes', customer: 'cus_TenantA1', value: '3.723457', identifier: `${a}:2026-11:gigabytes` },
        { event_name: 'phoenix_tenant_connection_hours', customer: 'cus_TenantB2', value: '1944.444444', identifier: `${b}:2026-11:connection_hours` },
        { event_name: 'phoenix_tenant_connections', customer: 'cus_TenantB2', value: '700', identifier: `${b}:2026-11:connections` },
        { event_name: 'phoenix_tenant_gigabytes', customer: 'cus_TenantB2', value: '70', identifier: `${b}:2026-11:gigabytes` },
      ].sort((x, y) => String(x.identifier).localeCompare(String(y.identifier)));
      expect(events.map(({ timestamp: _t, ...e }) => e)).toEqual(expected);
      // The report's time (Stripe takes the last 35 days only): the month lands on the current period's invoice.
      for (const e of events) expect(Number(e.timestamp)).toBeGreaterThanOrEqual(before - 1);
      // Tenant c has no customer any more: nothing of it is sent, nor recorded.
      expect(events.some((e) => e.identifier?.startsWith(tenants.c.id))).toBe(false);
      const rows: Array<{ state: string }> = await ds.query(`SELECT state FROM tenant_usage_reports WHERE month = '2026-11'`);
      expect(rows.map((r) => r.state)).toEqual(Array(6).fill('sent'));
    });

    it('sends nothing on a second delivery of the run, nor on another run for the same month', async () => {
      const calls = meterEvents().length;
      expect(await report(command('2026-12-01T05:00:00.000Z'))).toEqual({ month: '2026-11', tenants: 2, sent: 0, alreadyReported: 6, zero: 0 });
      expect(await report(command('manual:7', 'identity.billing.tenant-usage@manual:7'))).toMatchObject({ sent: 0 });
      expect(meterEvents()).toHaveLength(calls);
    });

    it('answers an error when Stripe fails (so job-worker retries), and the retry sends exactly what is missing, unchanged', async () => {
      const calls = meterEvents().length;
      // The Stripe client retries once: two failures fail one event (a's first metric of December).
      stripe.failNext(2);
      await expect(report(command('2027-01-01T05:00:00.000Z'))).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/2026-12 incomplete \(1 meter events not sent\)/) });
      const states: Array<{ metric: string; state: string }> = await ds.query(`SELECT metric, state FROM tenant_usage_reports WHERE month = '2026-12' ORDER BY metric`);
      expect(states).toEqual([
        { metric: 'connection_hours', state: 'sent' },
        { metric: 'connections', state: 'failed' },
        { metric: 'gigabytes', state: 'sent' },
      ]);
      const attempted = meterEvents().slice(calls);
      // b has nothing in December: zero, no event.
      expect(await report(command('2027-01-01T05:00:00.000Z'))).toEqual({ month: '2026-12', tenants: 2, sent: 1, alreadyReported: 2, zero: 3 });
      const all = meterEvents().slice(calls);
      const connections = all.filter((e) => e.identifier === `${tenants.a.id}:2026-12:connections`);
      // The failed attempt and its retry (one by the Stripe client, one by the run): the same event each time.
      expect(connections.length).toBeGreaterThanOrEqual(2);
      expect(new Set(connections.map((e) => JSON.stringify(e))).size).toBe(1);
      expect(connections[0]).toMatchObject({ value: '4', customer: 'cus_TenantA1' });
      expect(all.length - attempted.length).toBe(1);
      expect(await report(command('2027-01-01T05:00:00.000Z'))).toMatchObject({ sent: 0, alreadyReported: 3 });
    });

    it('sends each event once when two replicas hear the same command (the first reply speaks for the month)', async () => {
      const second = await startTestApp(testEnv(db, prefix, { REDIS_URL: redis.sideUrl('auth-service'), STRIPE_API_URL: stripe.url }), { transport: true });
      // Every replica's reply to the command, counted on the reply channel: the second replica is
      // closed only after it answered too (closing it mid-answer rejects its publish).
      const replies = new Redis(redis.adminUrl, { maxRetriesPerRequest: 1 });
      let answered = 0;
      replies.on('message', () => answered++);
      await replies.subscribe(`${Patterns.TENANT_USAGE_BILLING}.reply`);
      try {
        expect(await listening(Patterns.TENANT_USAGE_BILLING)).toBeGreaterThanOrEqual(2);
        const calls = meterEvents().length;
        const reply = await report(command('2027-03-01T05:00:00.000Z'));
        expect(reply).toMatchObject({ month: '2027-02', tenants: 2, zero: 0 });
        expect(reply.sent + reply.alreadyReported).toBe(6);
        const sent = meterEvents().slice(calls);
        expect(sent.map((e) => e.identifier).sort()).toEqual(
          [tenants.a.id, tenants.b.id].flatMap((id) => ['connection_hours', 'connections', 'gigabytes'].map((m) => `${id}:2027-02:${m}`)).sort(),
        );
        expect(sent.find((e) => e.identifier === `${tenants.b.id}:2027-02:connection_hours`)).toMatchObject({ value: '2', customer: 'cus_TenantB2' });
        const states: Array<{ state: string }> = await ds.query(`SELECT state FROM tenant_usage_reports WHERE month = '2027-02'`);
        expect(states.map((r) => r.state)).toEqual(Array(6).fill('sent'));
        await until('both replicas to answer', 30_000, () => (answered >= 2 ? true : undefined));
      } finally {
        replies.disconnect();
        await second.close();
      }
    });

    it('refuses a payload that is no scheduled command', async () => {
      await expect(firstValueFrom(jobs.send(Patterns.TENANT_USAGE_BILLING, { period: '2026-12-01T05:00:00.000Z' }).pipe(timeout(10_000)))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  describe('analytics-service down', () => {
    it('GET /api/v1/usage answers 503 UNAVAILABLE at once, and the report sends nothing and answers an error', async () => {
      await analytics.stop();
      const deadline = Date.now() + 10_000;
      while ((await listening(Patterns.ANALYTICS_TENANT_USAGE_QUERY)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const res = await usage(tenants.a.apiKey, '?from=2026-11-01&to=2026-11-30');
      await expectError(res, 503, 'UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(t.config.ANALYTICS_QUERY_TIMEOUT_MS);
      const calls = meterEvents().length;
      await expect(report(command('2027-02-01T05:00:00.000Z'))).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/analytics-service did not answer/) });
      expect(meterEvents()).toHaveLength(calls);
      expect(await ds.query(`SELECT * FROM tenant_usage_reports WHERE month = '2027-01'`)).toEqual([]);
    });
  });
});
