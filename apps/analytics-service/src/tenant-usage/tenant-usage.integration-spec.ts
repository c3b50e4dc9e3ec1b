import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { METRICS_REGISTRY, Patterns, ServiceMetrics, TenantUsageRow } from '@phoenix/common';
import { CapturedLogs, until } from '@phoenix/common/testing';
import { ReportReceiver, startReportReceiver } from '../../test/report-support';

const DAY_MS = 86_400_000;

interface StoredRow {
  day: string;
  tenant_id: string;
  connections: string;
  connection_seconds: string;
  bytes: string;
  version: string;
}

describe('analytics-service: tenant usage reports from config-service into tenant_usage_daily', () => {
  let receiver: ReportReceiver;
  let app: NestFastifyApplication;
  let ch: ClickHouseClient;
  let logs: CapturedLogs;
  const used: string[] = [];
  const lines = () => logs.lines();

  const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  const dayBefore = (n: number) => new Date(Date.parse(today) - n * DAY_MS).toISOString().slice(0, 10);
  const row = (tenantId: string, o: Partial<TenantUsageRow> = {}): TenantUsageRow => ({ day: today, tenantId, connections: 0, connectionSeconds: 0, bytes: 0, ...o });
  const tenant = () => {
    const t = randomUUID();
    used.push(t);
    return t;
  };
  const send = (report: unknown) => receiver.send(report);
  const stored = async (tenants: string[]): Promise<StoredRow[]> => {
    const rs = await ch.query({
      query: `SELECT * FROM tenant_usage_daily FINAL WHERE tenant_id IN (${tenants.map((t) => `'${t}'`).join(', ')}) ORDER BY tenant_id, day, version`,
      format: 'JSONEachRow',
    });
    return rs.json<StoredRow>();
  };
  /** Sends a good report after `what` and waits for it: the transport delivers in order, so `what` was handled by then. */
  const settle = async () => {
    const marker = tenant();
    await send({ version: Date.now(), rows: [row(marker, { connections: 1 })] });
    await until('the marker report', 10_000, async () => ((await stored([marker])).length === 1 ? true : undefined));
  };
  const reportsCounted = async (outcome: string) => {
    const metric = (await app.get<ServiceMetrics>(METRICS_REGISTRY).registry.getMetricsAsJSON()).find((m) => m.name === 'analytics_tenant_usage_reports_total');
    return Number(metric?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0);
  };

  beforeAll(async () => {
    receiver = await startReportReceiver(Patterns.ANALYTICS_TENANT_USAGE, 'usage-sender');
    ({ app, ch, logs } = receiver);
    await receiver.waitForTransport(settle);
  });

  afterAll(() => receiver?.close('tenant_usage_daily', 'tenant_id', used));

  it('stores a report per (day, tenant) with its version, and a later report for the same (day, tenant) replaces it under FINAL', async () => {
    const a = tenant();
    const b = tenant();
    const v1 = Date.now() - 5000;
    await send({ version: v1, rows: [row(a, { day: dayBefore(1), connections: 7, connectionSeconds: 5400, bytes: 123_456_789_012 }), row(a, { connections: 1 }), row(b, { bytes: 5 })] });
    const first = await until('the first report', 10_000, async () => {
      const rows = await stored([a, b]);
      return rows.length === 3 ? rows : undefined;
    });
    expect(first.find((r) => r.tenant_id === a && r.day === dayBefore(1))).toEqual({
      day: dayBefore(1),
      tenant_id: a,
      connections: '7',
      connection_seconds: '5400',
      bytes: '123456789012',
      version: String(v1),
    });

    // Later totals of today: FINAL shows them, yesterday's row is untouched.
    await send({ version: v1 + 3000, rows: [row(a, { connections: 4, connectionSeconds: 60, bytes: 10 })] });
    await until('the later report', 10_000, async () => ((await stored([a])).find((r) => r.version === String(v1 + 3000)) ? true : undefined));
    // A late older report and the same report twice (another replica's copy) change nothing.
    await send({ version: v1 + 1000, rows: [row(a, { connections: 2 })] });
    await send({ version: v1 + 3000, rows: [row(a, { connections: 4, connectionSeconds: 60, bytes: 10 })] });
    await settle();
    const now = await stored([a, b]);
    const key = (r: string[]) => r.join(' ');
    expect(now.map((r) => key([r.tenant_id, r.day, r.connections, r.connection_seconds, r.bytes, r.version])).sort()).toEqual(
      [
        [a, dayBefore(1), '7', '5400', '123456789012', String(v1)],
        [a, today, '4', '60', '10', String(v1 + 3000)],
        [b, today, '0', '0', '5', String(v1)],
      ]
        .map(key)
        .sort(),
    );
    // (Without FINAL the superseded rows stay until a background merge, whenever that runs: readers use FINAL.)
    expect(await reportsCounted('stored')).toBeGreaterThanOrEqual(5);
  });

  it.each<[string, (t: string) => unknown]>([
    ['an extra field on the report', (t) => ({ version: Date.now(), rows: [row(t)], nodeId: 'n-1' })],
    ['an extra field on a row', (t) => ({ version: Date.now(), rows: [{ ...row(t), userId: 'u-1' }] })],
    ['a row without a counter', (t) => ({ version: Date.now(), rows: [{ ...row(t), bytes: undefined }] })],
    ['a tenant id that is no UUID', (t) => ({ version: Date.now(), rows: [row(t), row('alice@example.com')] })],
    ['an upper-case tenant id', (t) => ({ version: Date.now(), rows: [row(t.toUpperCase())] })],
    ['a day that is not a day', (t) => ({ version: Date.now(), rows: [row(t, { day: `${today}T00:00:00.000Z` })] })],
    ['a day that does not exist', (t) => ({ version: Date.now(), rows: [row(t, { day: '2026-02-30' })] })],
    ['a day in the future', (t) => ({ version: Date.now(), rows: [row(t, { day: new Date(Date.parse(today) + 2 * DAY_MS).toISOString().slice(0, 10) })] })],
    ['a day older than config-service reports', (t) => ({ version: Date.now(), rows: [row(t, { day: dayBefore(60) })] })],
    ['a version before its day', (t) => ({ version: Date.parse(today) - 1, rows: [row(t)] })],
    ['a version in the future', (t) => ({ version: Date.now() + DAY_MS, rows: [row(t)] })],
    ['a version that is not a number', (t) => ({ version: String(Date.now()), rows: [row(t)] })],
    ['a negative count', (t) => ({ version: Date.now(), rows: [row(t, { connections: -1 })] })],
    ['a fractional count', (t) => ({ version: Date.now(), rows: [row(t, { bytes: 1.5 })] })],
    ['a count past 2^53', (t) => ({ version: Date.now(), rows: [row(t, { bytes: 2 ** 53 })] })],
    ['a count as a string', (t) => ({ version: Date.now(), rows: [row(t, { connectionSeconds: '60' as never })] })],
    ['the same day and tenant twice', (t) => ({ version: Date.now(), rows: [row(t), row(t, { connections: 1 })] })],
    ['no rows', () => ({ version: Date.now(), rows: [] })],
    ['rows that are not a list', (t) => ({ version: Date.now(), rows: { [t]: row(t) } })],
    ['a string instead of a report', () => 'report'],
  ])('drops a report with %s, stores nothing of it, counts and logs why', async (_name, make) => {
    const t = tenant();
    const before = lines().filter((x) => x.msg === 'tenant usage report dropped').length;
    const droppedBefore = await reportsCounted('dropped');
    await send(make(t));
    await settle();
    expect(await stored([t, t.toUpperCase()])).toEqual([]);
    const dropped = lines().filter((x) => x.msg === 'tenant usage report dropped');
    expect(dropped).toHaveLength(before + 1);
    expect(await reportsCounted('dropped')).toBe(droppedBefore + 1);
    expect(dropped.at(-1)).toMatchObject({ level: 40, context: 'TenantUsageReports', problems: expect.arrayContaining([expect.any(String)]) });
    // The log says what was wrong, not what was sent.
    expect(JSON.stringify(dropped.at(-1))).not.toMatch(/alice@example\.com|u-1|n-1/);
    expect(JSON.stringify(dropped.at(-1))).not.toContain(t);
  });

  it('holds nothing but tenant ids, days and numbers (the whole table: every row any writer left)', async () => {
    const rs = await ch.query({ query: 'SELECT * FROM tenant_usage_daily', format: 'JSONEachRow' });
    const rows = await rs.json<Record<string, unknown>>();
    expect(rows.length).toBeGreaterThan(0);
    const cols = await (await ch.query({ query: 'DESCRIBE TABLE tenant_usage_daily', format: 'JSONEachRow' })).json<{ name: string; type: string }>();
    expect(cols.map((c) => `${c.name} ${c.type}`)).toEqual(['day Date', 'tenant_id String', 'connections UInt64', 'connection_seconds UInt64', 'bytes UInt64', 'version UInt64']);
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(['bytes', 'connection_seconds', 'connections', 'day', 'tenant_id', 'version']);
      expect(r.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(r.tenant_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      for (const k of ['connections', 'connection_seconds', 'bytes', 'version']) expect(String(r[k])).toMatch(/^\d+$/);
    }
  });
});
