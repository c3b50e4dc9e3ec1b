import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { freeLoopbackPort, migrateStackDatabases } from '@phoenix/common/testing';
import {
  ADMIN_TOKEN,
  TelemetryRow,
  dropMonths,
  insertFleet,
  insertTelemetry,
  randomRowKey,
  stackClickHouse,
  startStatsApp,
  statsConfig,
  testLocation,
  testMonth,
  times,
} from '../../test/stats-support';

const K = 10;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Body {
  panel: string;
  from: string;
  to: string;
  k: number;
  rows: Array<Record<string, unknown>>;
  suppressed: { cells: number; events: number };
}

describe('GET /v1/stats/:panel (real ClickHouse)', () => {
  const ch: ClickHouseClient = stackClickHouse();
  // This suite's own month (years 2060–2072; the dashboard and Grafana suites take other years).
  const m = testMonth(2060, 2072);
  const A = testLocation();
  const B = testLocation();
  const C = testLocation();
  let app: NestFastifyApplication;
  let base: string;
  const seeded: TelemetryRow[] = [];

  const conn = (loc: string, day: number, hour: number, outcome: string, failure_reason = ''): TelemetryRow => ({
    type: 'connection',
    hour: m.at(day, hour),
    location: loc,
    outcome,
    failure_reason,
    handshake_ms: outcome === 'success' ? 120 : null,
  });

  async function get(panel: string, from: string, to: string): Promise<Body> {
    const res = await fetch(`${base}/v1/stats/${panel}?from=${from}&to=${to}`, { headers: auth });
    expect(res.status).toBe(200);
    return (await res.json()) as Body;
  }

  beforeAll(async () => {
    migrateStackDatabases(['analytics-service']);
    const duplicated: TelemetryRow = { ...conn(A, 1, 15, 'success'), row_key: randomRowKey() };
    const rows: TelemetryRow[] = [
      // connections, location A, day 1 unless said
      ...times(6, conn(A, 1, 3, 'success')),
      ...times(4, conn(A, 1, 3, 'failure', 'handshake_timeout')),
      ...times(5, conn(A, 1, 5, 'success')),
      ...times(4, conn(A, 1, 5, 'failure', 'other')),
      ...times(12, conn(A, 1, 7, 'success')),
      ...times(10, conn(A, 1, 7, 'failure', 'token_rejected')),
      ...times(8, conn(A, 1, 7, 'failure', 'no_capacity')),
      ...times(5, conn(A, 1, 9, 'success')),
      ...times(10, conn(A, 1, 9, 'failure', 'no_capacity')),
      ...times(10, conn(A, 1, 9, 'failure', 'handshake_timeout')),
      ...times(5, conn(A, 1, 11, 'success')),
      ...times(5, conn(A, 2, 11, 'success')),
      ...times(20, conn(A, 1, 13, 'success')),
      ...times(9, conn(A, 1, 13, 'failure', 'token_rejected')),
      ...times(8, conn(A, 1, 15, 'success')),
      duplicated,
      duplicated, // a retried insert: same row_key, one event
      // window edges, location B
      ...times(10, conn(B, 1, 23, 'success')),
      ...times(10, conn(B, 2, 0, 'success')),
      ...times(10, conn(B, 3, 23, 'success')),
      ...times(10, conn(B, 4, 0, 'success')),
      // throughput: A has 10 samples (inserted out of order), C has 9
      ...[7, 3, 10, 1, 5, 9, 2, 8, 4, 6].map((i): TelemetryRow => ({ type: 'throughput', hour: m.at(1, i), location: A, down_mbps: i + 0.5, up_mbps: i * 10 })),
      ...times(9, { type: 'throughput', hour: m.at(1, 2), location: C, down_mbps: 50, up_mbps: 5 } as TelemetryRow),
      // sessions
      ...times(12, { type: 'session', hour: m.at(1, 8), location: A, duration_bucket: '1-10m', transfer_bucket: '<100MB' } as TelemetryRow),
      ...times(10, { type: 'session', hour: m.at(2, 8), location: B, duration_bucket: '<1m', transfer_bucket: '100MB-1GB' } as TelemetryRow),
      ...times(9, { type: 'session', hour: m.at(1, 8), location: A, duration_bucket: '>24h', transfer_bucket: '>20GB' } as TelemetryRow),
      // blocking: 10 × 0.1 MB must sum to exactly 1
      ...times(10, { type: 'blocking', hour: m.at(1, 10), mb_blocked: 0.1, requests_blocked: 5, time_saved_sec: 3 } as TelemetryRow),
      ...times(9, { type: 'blocking', hour: m.at(2, 10), mb_blocked: 1, requests_blocked: 1, time_saved_sec: 1 } as TelemetryRow),
      ...times(10, { type: 'blocking', hour: m.at(3, 22), mb_blocked: 2.345, requests_blocked: 1000, time_saved_sec: 86400 } as TelemetryRow),
      // platforms (every other row above is ios 1.0)
      ...times(10, { type: 'blocking', hour: m.at(4, 1), platform: 'linux', app_version: '2.10' } as TelemetryRow),
      ...times(11, { type: 'blocking', hour: m.at(4, 1), platform: 'linux', app_version: '2.9' } as TelemetryRow),
      ...times(10, { type: 'blocking', hour: m.at(4, 1), platform: 'ios', app_version: '1.2' } as TelemetryRow),
      ...times(9, { type: 'blocking', hour: m.at(4, 1), platform: 'android', app_version: '3.1' } as TelemetryRow),
    ];
    seeded.push(...rows);
    await insertTelemetry(ch, rows);
    await insertFleet(ch, [
      { hour: m.at(1, 3), location: A, redemptions: 5, reused: 2, no_capacity: 1, invalid: 2, load_sum: 150.5, load_samples: 3 },
      { hour: m.at(2, 3), location: A, redemptions: 1, load_sum: 30, load_samples: 1 },
      // Two reports of one hour: the later (version 2) replaces the earlier, it does not add to it.
      { hour: m.at(1, 4), location: A, redemptions: 100, version: 1 },
      { hour: m.at(1, 4), location: A, redemptions: 9, version: 2 },
      { hour: m.at(1, 6), location: A, invalid: 10 },
    ]);
    ({ app, base } = await startStatsApp(statsConfig()));
  });

  afterAll(async () => {
    await app?.close();
    await dropMonths(ch, [m.partition]);
    await ch.close();
  });

  it('connections: location × hour of day, success rate, top failure reason only when it alone counts k', async () => {
    const body = await get('connections', m.day(1), m.day(5));
    expect(Object.keys(body)).toEqual(['panel', 'from', 'to', 'k', 'rows', 'suppressed']);
    expect(body).toMatchObject({ panel: 'connections', from: m.day(1), to: m.day(5), k: K });
    const expected = [
      { location: A, hourOfDay: 3, attempts: 10, successRate: 0.6, topFailureReason: null }, // 4 failures < k
      { location: A, hourOfDay: 7, attempts: 30, successRate: 0.4, topFailureReason: 'token_rejected' },
      { location: A, hourOfDay: 9, attempts: 25, successRate: 0.2, topFailureReason: 'handshake_timeout' }, // tie: API.md's order
      { location: A, hourOfDay: 11, attempts: 10, successRate: 1, topFailureReason: null }, // 5 on day 1 + 5 on day 2
      { location: A, hourOfDay: 13, attempts: 29, successRate: 0.6897, topFailureReason: null }, // 9 token_rejected < k
      { location: B, hourOfDay: 0, attempts: 20, successRate: 1, topFailureReason: null },
      { location: B, hourOfDay: 23, attempts: 20, successRate: 1, topFailureReason: null },
    ].sort((x, y) => (x.location === y.location ? x.hourOfDay - y.hourOfDay : x.location < y.location ? -1 : 1));
    expect(body.rows).toEqual(expected);
    for (const row of body.rows) expect(Object.keys(row)).toEqual(['location', 'hourOfDay', 'attempts', 'successRate', 'topFailureReason']);
    // A 5 (9 events) and A 15 (8 events + one inserted twice = 9): k − 1 each, suppressed.
    expect(body.suppressed).toEqual({ cells: 2, events: 18 });
  });

  it('from and to are whole UTC days, both included: 00:00 of from and 23:00 of to count, the hours around them do not', async () => {
    const body = await get('connections', m.day(2), m.day(3));
    expect(body.rows).toEqual([
      { location: B, hourOfDay: 0, attempts: 10, successRate: 1, topFailureReason: null }, // day 2 00:00, not day 4 00:00
      { location: B, hourOfDay: 23, attempts: 10, successRate: 1, topFailureReason: null }, // day 3 23:00, not day 1 23:00
    ]);
    // A 11 has only day 2's 5 attempts in this window: suppressed.
    expect(body.suppressed).toEqual({ cells: 1, events: 5 });
    const oneDay = await get('connections', m.day(4), m.day(4));
    expect(oneDay.rows).toEqual([{ location: B, hourOfDay: 0, attempts: 10, successRate: 1, topFailureReason: null }]);
    expect(oneDay.suppressed).toEqual({ cells: 0, events: 0 });
  });

  it('throughput: exact p50/p90 per location, whatever order the samples came in; 9 samples are suppressed', async () => {
    const body = await get('throughput', m.day(1), m.day(5));
    expect(body.rows).toEqual([{ location: A, samples: 10, downMbpsP50: 6.5, downMbpsP90: 10.5, upMbpsP50: 60, upMbpsP90: 100 }]);
    expect(Object.keys(body.rows[0]!)).toEqual(['location', 'samples', 'downMbpsP50', 'downMbpsP90', 'upMbpsP50', 'upMbpsP90']);
    expect(body.suppressed).toEqual({ cells: 1, events: 9 });
  });

  it('sessions: duration × transfer buckets in API order, k − 1 suppressed and k shown', async () => {
    const body = await get('sessions', m.day(1), m.day(5));
    expect(body.rows).toEqual([
      { durationBucket: '<1m', transferBucket: '100MB-1GB', sessions: 10 },
      { durationBucket: '1-10m', transferBucket: '<100MB', sessions: 12 },
    ]);
    expect(body.suppressed).toEqual({ cells: 1, events: 9 });
  });

  it('blocking: per UTC day, MB summed exactly (10 × 0.1 = 1), days under k suppressed', async () => {
    const body = await get('blocking', m.day(1), m.day(5));
    expect(body.rows).toEqual([
      { day: m.day(1), events: 10, mbBlocked: 1, requestsBlocked: 50, timeSavedSec: 30 },
      { day: m.day(3), events: 10, mbBlocked: 23.45, requestsBlocked: 10000, timeSavedSec: 864000 },
      { day: m.day(4), events: 40, mbBlocked: 0, requestsBlocked: 0, timeSavedSec: 0 }, // the platform rows
    ]);
    // Day 2 has 9 events.
    expect(body.suppressed).toEqual({ cells: 1, events: 9 });
  });

  it('platforms: every event type, versions in numeric order', async () => {
    const body = await get('platforms', m.day(1), m.day(5));
    const ios10 = new Set(seeded.filter((r) => r.platform === undefined).map((r) => r.row_key ?? Symbol())).size;
    expect(ios10).toBeGreaterThanOrEqual(K);
    expect(body.rows).toEqual([
      { platform: 'ios', appVersion: '1.0', events: ios10 },
      { platform: 'ios', appVersion: '1.2', events: 10 },
      { platform: 'linux', appVersion: '2.9', events: 11 },
      { platform: 'linux', appVersion: '2.10', events: 10 },
    ]);
    expect(body.suppressed).toEqual({ cells: 1, events: 9 }); // android 3.1
  });

  it('fleet: latest report per hour (FINAL), events = every outcome, mean load = Σ load / Σ samples', async () => {
    const body = await get('fleet', m.day(1), m.day(5));
    expect(body.rows).toEqual([
      { location: A, hourOfDay: 3, redemptions: 6, reused: 2, noCapacity: 1, meanLoad: 45.125 },
      // 10 invalid tokens only: shown (k events), no load samples.
      { location: A, hourOfDay: 6, redemptions: 0, reused: 0, noCapacity: 0, meanLoad: null },
    ]);
    // Hour 4: version 2 says 9 (not 100 + 9): suppressed.
    expect(body.suppressed).toEqual({ cells: 1, events: 9 });
  });

  it('gives the same answer to the same query, byte for byte', async () => {
    for (const panel of ['connections', 'throughput', 'sessions', 'blocking', 'platforms', 'fleet']) {
      const url = `${base}/v1/stats/${panel}?from=${m.day(1)}&to=${m.day(28)}`;
      const [a, b] = await Promise.all([fetch(url, { headers: auth }), fetch(url, { headers: auth })]);
      expect(await a.text()).toBe(await b.text());
    }
  });

  it('is not cached by intermediaries', async () => {
    const res = await fetch(`${base}/v1/stats/sessions?from=${m.day(1)}&to=${m.day(2)}`, { headers: auth });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['missing to', `from=2070-01-01`],
    ['missing both', ''],
    ['a month without zero padding', 'from=2070-1-01&to=2070-01-02'],
    ['a date that does not exist', 'from=2070-02-30&to=2070-03-02'],
    ['a time of day', 'from=2070-01-01T00:00:00Z&to=2070-01-02'],
    ['from after to', 'from=2070-01-02&to=2070-01-01'],
    ['93 days', 'from=2070-01-01&to=2070-04-03'],
    ['a repeated parameter', 'from=2070-01-01&from=2070-01-02&to=2070-01-03'],
    ['an unknown parameter', 'from=2070-01-01&to=2070-01-02&k=2'],
    ['a day beyond ClickHouse DateTime', 'from=2106-03-01&to=2106-03-02'],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_what, qs) => {
    const res = await fetch(`${base}/v1/stats/connections?${qs}`, { headers: auth });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
  });

  it('accepts exactly 92 days', async () => {
    const res = await fetch(`${base}/v1/stats/sessions?from=2070-01-01&to=2070-04-02`, { headers: auth });
    expect(res.status).toBe(200);
  });

  it('answers an unknown panel with 404 UNKNOWN_PANEL', async () => {
    const res = await fetch(`${base}/v1/stats/latency?from=${m.day(1)}&to=${m.day(2)}`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('UNKNOWN_PANEL');
  });

  it('wants the admin token: none or a wrong one is 401 with a Bearer challenge; Basic with the token as password is accepted', async () => {
    const url = `${base}/v1/stats/sessions?from=${m.day(1)}&to=${m.day(2)}`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await none.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    expect((await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } })).status).toBe(401);
    const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    expect((await fetch(url, { headers: { authorization: basic('admin', ADMIN_TOKEN) } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: basic('anyone', ADMIN_TOKEN) } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: basic('admin', 'wrong') } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: basic(ADMIN_TOKEN, '') } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Basic ${Buffer.from(ADMIN_TOKEN).toString('base64')}` } })).status).toBe(401);
  });

  it('answers 503 UNAVAILABLE when ClickHouse is not there', async () => {
    const port = await freeLoopbackPort();
    const down = await startStatsApp(statsConfig({ CLICKHOUSE_URL: `http://127.0.0.1:${port}` }));
    try {
      const res = await fetch(`${down.base}/v1/stats/connections?from=${m.day(1)}&to=${m.day(2)}`, { headers: auth });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('UNAVAILABLE');
      expect(body.message).not.toContain(String(port));
    } finally {
      await down.app.close();
    }
  });
});
