import { dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import Redis from 'ioredis';
import { RunningIngest, TelemetryDb, markedEvents, postEvents, scanTables, startIngestApp, testLocation, testPrefix, until } from '../../test/ingest-support';
import { batchNonce, keyedRows } from './row-key';
import { parseEventBatch } from './telemetry-event';
import { TelemetryQueue } from './telemetry.queue';
import { TelemetryRepository } from './telemetry.repository';

// POST /v1/events against the real Redis (the analytics side's user) and ClickHouse (a database of
// this suite's own): what is accepted lands normalised; what is refused leaves no trace anywhere.
describe('POST /v1/events', () => {
  let db: TelemetryDb;
  let svc: RunningIngest;
  let admin: Redis;
  const location = testLocation();

  beforeAll(async () => {
    db = await TelemetryDb.create('ingest');
    svc = await startIngestApp(db);
    admin = new Redis(process.env.REDIS_URL as string);
  });

  afterAll(async () => {
    admin?.disconnect();
    await svc?.close();
    await db?.drop();
  });

  const queueKeys = () => new TelemetryQueue(admin, svc.config.REDIS_KEY_PREFIX);

  it('answers 202 with the count, and every event lands in ClickHouse once, normalised', async () => {
    const at = new Date(Date.now() - 3 * 3600_000);
    const atHour = Math.floor(at.getTime() / 3600_000) * 3600;
    const hourNow = () => Math.floor(Date.now() / 3600_000) * 3600;
    const receiptHours = [hourNow()];
    const res = await postEvents(svc.base, {
      events: [
        { type: 'connection', platform: 'ios', appVersion: '3.2.1', location, outcome: 'success', handshakeMs: 140, at: at.toISOString() },
        { type: 'connection', platform: 'android', appVersion: '3.2', location, outcome: 'failure', failureReason: 'handshake_timeout' },
        { type: 'throughput', platform: 'macos', appVersion: '1.0.0', location, downMbps: 87.5, upMbps: 12.25 },
        { type: 'session', platform: 'windows', appVersion: '10.20.30', location, durationBucket: '1-4h', transferBucket: '5GB-20GB' },
        { type: 'blocking', platform: 'web', appVersion: '0.9', mbBlocked: 1.5, requestsBlocked: 320, timeSavedSec: 41 },
      ],
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 5 });
    receiptHours.push(hourNow());

    await until('the batch in ClickHouse', async () => (await db.count()) === 5);
    const rows = await db.query<Record<string, unknown>>(
      `SELECT toUnixTimestamp(hour) AS hour, type, platform, app_version, location, outcome, failure_reason, handshake_ms, down_mbps, up_mbps,
              duration_bucket, transfer_bucket, mb_blocked, requests_blocked, time_saved_sec
       FROM telemetry FINAL ORDER BY type, platform`,
    );
    // The hour of receipt (the hour may turn during the request: either one).
    for (const row of rows) if (row.hour !== atHour) expect(receiptHours).toContain(row.hour);
    const receipt = expect.any(Number);
    const none = { location: '', outcome: '', failure_reason: '', handshake_ms: null, down_mbps: 0, up_mbps: 0, duration_bucket: '', transfer_bucket: '', mb_blocked: 0, requests_blocked: 0, time_saved_sec: 0 };
    expect(rows).toEqual([
      { ...none, hour: receipt, type: 'blocking', platform: 'web', app_version: '0.9', mb_blocked: 1.5, requests_blocked: 320, time_saved_sec: 41 },
      { ...none, hour: receipt, type: 'connection', platform: 'android', app_version: '3.2', location, outcome: 'failure', failure_reason: 'handshake_timeout' },
      { ...none, hour: atHour, type: 'connection', platform: 'ios', app_version: '3.2', location, outcome: 'success', handshake_ms: 140 },
      { ...none, hour: receipt, type: 'session', platform: 'windows', app_version: '10.20', location, duration_bucket: '1-4h', transfer_bucket: '5GB-20GB' },
      { ...none, hour: receipt, type: 'throughput', platform: 'macos', app_version: '1.0', location, down_mbps: 87.5, up_mbps: 12.25 },
    ]);
    await until('the queue to drain', async () => (await admin.xlen(queueKeys().stream)) === 0 && (await queueKeys().backlog()) === 0);
  });

  it('takes a full batch of 500 of the largest events (above the platform’s JSON value limit)', async () => {
    const events = Array.from({ length: 500 }, (_, i) => ({
      type: 'connection',
      platform: 'linux',
      appVersion: '12.345.6789',
      at: new Date(Date.now() - 60_000).toISOString(),
      location,
      outcome: 'failure',
      failureReason: 'network_unreachable',
      handshakeMs: i,
    }));
    const before = await db.count();
    const res = await postEvents(svc.base, { events });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 500 });
    await until('the batch in ClickHouse', async () => (await db.count()) === before + 500);
  });

  describe('refuses the whole batch with 400 VALIDATION_FAILED, and stores nothing of it', () => {
    const refused = testLocation();
    const ok = { type: 'throughput', platform: 'ios', appVersion: '2.0', location: refused, downMbps: 10, upMbps: 1 };
    const cases: Array<[string, unknown]> = [
      ['no events', { events: [] }],
      ['501 events', { events: Array.from({ length: 501 }, () => ok) }],
      ['an unknown type', { events: [ok, { ...ok, type: 'crash' }] }],
      ['an unknown field', { events: [ok, { ...ok, adId: 'x' }] }],
      ['an ip field', { events: [ok, { ...ok, ip: '198.51.100.23' }] }],
      ['a userId field', { events: [ok, { ...ok, userId: '7f1d2c4e-0b5a-4c1e-9a43-2d6f0e8b1c55' }] }],
      ['a deviceId field', { events: [ok, { ...ok, deviceId: 'a1b2c3d4e5f60718' }] }],
      ['a wrong enum value', { events: [ok, { ...ok, platform: 'symbian' }] }],
      ['a value out of range', { events: [ok, { ...ok, downMbps: 100_001 }] }],
      ['a wrong type', { events: [ok, { ...ok, upMbps: '1' }] }],
      ['nesting', { events: [ok, { ...ok, location: { city: 'Frankfurt' } }] }],
      ['a time in the future', { events: [ok, { ...ok, at: new Date(Date.now() + 3600_000).toISOString() }] }],
      ['a time 8 days ago', { events: [ok, { ...ok, at: new Date(Date.now() - 8 * 86_400_000).toISOString() }] }],
      ['another top-level field', { events: [ok], session: 'x' }],
    ];

    it.each(cases)('%s', async (_name, body) => {
      const accepted = Number((await (await fetch(`${svc.base}/metrics`)).text()).match(/^analytics_events_accepted_total\{[^}]*\} (\d+)/m)?.[1]);
      const res = await postEvents(svc.base, body);
      expect(res.status).toBe(400);
      const error = (await res.json()) as { code: string; message: string };
      expect(error).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
      expect(error.message.length).toBeGreaterThan(0);
      const after = Number((await (await fetch(`${svc.base}/metrics`)).text()).match(/^analytics_events_accepted_total\{[^}]*\} (\d+)/m)?.[1]);
      expect(after).toBe(accepted);
    });

    it('left nothing in the queue or in ClickHouse: a marker batch sent after them is all that arrives', async () => {
      const before = await db.count();
      const marker = markedEvents(location, 50_000, 3);
      expect((await postEvents(svc.base, { events: marker })).status).toBe(202);
      await until('the marker batch', async () => (await db.count()) >= before + 3);
      // The queue is FIFO and drained: anything of a refused batch would have landed before the marker.
      await until('the queue to drain', async () => (await admin.xlen(queueKeys().stream)) === 0);
      expect(await db.count()).toBe(before + 3);
      expect(await db.count(`location = '${refused}'`)).toBe(0);
    });
  });

  it('counts accepted, refused, inserted and the backlog on /metrics', async () => {
    const text = await (await fetch(`${svc.base}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('analytics_events_accepted_total{service="analytics-service"}')).toBe(508);
    expect(value('analytics_events_inserted_total{service="analytics-service"}')).toBe(508);
    expect(value('analytics_batches_rejected_total{reason="invalid",service="analytics-service"}')).toBe(14);
    expect(value('analytics_backlog_events{service="analytics-service"}')).toBe(0);
  });

  it('inserts a queued batch twice (a crash between insert and acknowledge) and counts it once', async () => {
    const prefix = testPrefix();
    const redis = new Redis(sideRedisUrl('analytics-service'));
    const queue = new TelemetryQueue(redis, prefix);
    const repository = new TelemetryRepository(db.ch);
    const twice = testLocation();
    try {
      await queue.ensureGroup();
      const parsed = parseEventBatch({ events: markedEvents(twice, 0, 250) }, Date.now());
      if (!parsed.ok) throw new Error(parsed.message);
      const rows = parsed.rows;
      expect(await queue.enqueue(rows, batchNonce(), 10_000)).toBe(250);
      const { batches } = await queue.read('crashing-inserter', 10, 100);
      expect(batches).toHaveLength(1);
      await repository.insert(keyedRows(batches[0])); // …and the inserter dies before XACK
      // Its successor takes the batch over (nothing else acknowledged it) and inserts it again.
      const { batches: taken } = await queue.claim('successor', 0, '0-0', 10);
      expect(taken.map((b) => b.id)).toEqual([batches[0].id]);
      await repository.insert(keyedRows(taken[0]));
      expect(await queue.ack([{ id: taken[0].id, events: 250 }])).toEqual({ entries: 1, events: 250 });
      expect(await queue.ack([{ id: batches[0].id, events: 250 }])).toEqual({ entries: 0, events: 0 });
      expect(await queue.backlog()).toBe(0);

      const where = `location = '${twice}'`;
      // Both inserts are there until ClickHouse merges them; FINAL reads one row per key at once.
      const [raw] = await db.query<{ n: string }>(`SELECT count() AS n FROM telemetry WHERE ${where}`);
      expect(Number(raw.n)).toBe(500);
      expect(await db.count(where)).toBe(250);
      const [distinct] = await db.query<{ n: string }>(`SELECT uniqExact(handshake_ms) AS n FROM telemetry FINAL WHERE ${where}`);
      expect(Number(distinct.n)).toBe(250);
      await db.ch.command({ query: 'OPTIMIZE TABLE telemetry FINAL' });
      const [merged] = await db.query<{ n: string }>(`SELECT count() AS n FROM telemetry WHERE ${where}`);
      expect(Number(merged.n)).toBe(250);
    } finally {
      redis.disconnect();
      await dropRedisPrefix(prefix);
    }
  });

  it('leaves no address and no identifier in any ClickHouse row', async () => {
    const { rows, findings } = await scanTables(db);
    expect(rows).toBeGreaterThan(500);
    expect(findings).toEqual([]);
  });
});
