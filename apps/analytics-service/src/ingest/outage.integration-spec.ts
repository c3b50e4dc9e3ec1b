import { CuttableProxy, ServiceProcess, ThrowawayRedis, dropRedisPrefix, freeLoopbackPort, spawnService, waitForHttp } from '@phoenix/common/testing';
import Redis from 'ioredis';
import { RunningIngest, TelemetryDb, markedEvents, postEvents, scanTables, startIngestApp, testLocation, testPrefix, until } from '../../test/ingest-support';
import { INSERTERS_GROUP, TelemetryQueue } from './telemetry.queue';

// analytics-service as its own process, on the stack's Redis (its side's user) and on a database of
// this suite's own reached through a proxy the suite cuts: "ClickHouse down" for this suite alone.
// Every event is marked (handshakeMs = a number unique in the suite), so the suite can tell which
// events landed and how often.
const MAX_BACKLOG = 2000;
const RETRY_AFTER_SEC = 7;
const BATCH = 100;

describe('ClickHouse out of reach: 202 while the backlog lasts, then 503; every 202’d event lands exactly once', () => {
  let db: TelemetryDb;
  let proxy: CuttableProxy;
  let admin: Redis;
  let queue: TelemetryQueue;
  let svc: ServiceProcess | undefined;
  let base: string;
  let env: NodeJS.ProcessEnv;
  const prefix = testPrefix();
  const location = testLocation();
  /** Marks of every event answered 202. */
  const accepted: number[] = [];
  let nextMark = 0;

  async function start(): Promise<ServiceProcess> {
    const proc = spawnService('analytics-service', env);
    await waitForHttp(`${base}/health/ready`, 60_000).catch(async (e: Error) => {
      await proc.stop(1000);
      throw new Error(`${e.message}\n${proc.output()}`);
    });
    return proc;
  }

  /** Sends `batches` batches of 100 fresh marked events; the statuses, the accepted marks recorded. */
  async function send(batches: number): Promise<Response[]> {
    const answers: Response[] = [];
    for (let b = 0; b < batches; b++) {
      const mark = nextMark;
      nextMark += BATCH;
      const res = await postEvents(base, { events: markedEvents(location, mark, BATCH) });
      if (res.status === 202) for (let i = 0; i < BATCH; i++) accepted.push(mark + i);
      answers.push(res);
    }
    return answers;
  }

  /** Rows as readers see them (FINAL), rows as stored (before merges), and distinct marks. */
  async function landed(): Promise<{ final: number; stored: number; marks: number }> {
    const [r] = await db.query<{ final: string; marks: string }>(`SELECT count() AS final, uniqExact(handshake_ms) AS marks FROM telemetry FINAL`);
    const [s] = await db.query<{ n: string }>(`SELECT count() AS n FROM telemetry`);
    return { final: Number(r.final), stored: Number(s.n), marks: Number(r.marks) };
  }

  /** Every accepted mark in ClickHouse once, and nothing else. */
  async function expectExactlyOnce(): Promise<{ final: number; stored: number }> {
    await until(`${accepted.length} events in ClickHouse`, async () => (await landed()).final >= accepted.length, 60_000);
    await until('the queue to drain', async () => (await queue.backlog()) === 0 && (await admin.xlen(queue.stream)) === 0, 30_000);
    const counts = await landed();
    expect(counts.final).toBe(accepted.length);
    expect(counts.marks).toBe(accepted.length);
    const marks = (await db.query<{ m: number }>(`SELECT handshake_ms AS m FROM telemetry FINAL ORDER BY m`)).map((r) => r.m);
    expect(marks).toEqual([...accepted].sort((a, b) => a - b));
    return counts;
  }

  const insertFailures = async () => Number(/^analytics_insert_failures_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
  const pending = async () => Number(((await admin.xpending(queue.stream, INSERTERS_GROUP)) as [number])[0]);

  beforeAll(async () => {
    db = await TelemetryDb.create('outage');
    const ch = new URL(db.url);
    proxy = new CuttableProxy({ host: ch.hostname, port: Number(ch.port) });
    await proxy.start();
    const port = await freeLoopbackPort();
    base = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      CLICKHOUSE_URL: proxy.proxied(db.url),
      REDIS_KEY_PREFIX: prefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ANALYTICS_MAX_BACKLOG: String(MAX_BACKLOG),
      ANALYTICS_RETRY_AFTER_SEC: String(RETRY_AFTER_SEC),
      ANALYTICS_CLAIM_IDLE_MS: '1000',
    };
    admin = new Redis(process.env.REDIS_URL as string);
    queue = new TelemetryQueue(admin, prefix);
    svc = await start();
  }, 90_000);

  afterAll(async () => {
    await svc?.stop();
    admin?.disconnect();
    await proxy?.close();
    await dropRedisPrefix(prefix);
    await db?.drop();
  });

  it('keeps answering 202 during a burst while ClickHouse is cut; once it is back every event is there once', async () => {
    expect((await send(4)).map((r) => r.status)).toEqual([202, 202, 202, 202]);
    await until('the first batches in ClickHouse', async () => (await landed()).final === 400);
    proxy.cut();
    const during = await send(10);
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(202));
    // Durable before the 202: the batches wait in the stream, counted in the backlog.
    expect(await queue.backlog()).toBeGreaterThanOrEqual(1000);
    const [[, fields]] = (await admin.xrange(queue.stream, '-', '+', 'COUNT', 1)) as Array<[string, string[]]>;
    const entry = Object.fromEntries(fields.reduce<string[][]>((pairs, v, i) => (i % 2 ? pairs : [...pairs, [v, fields[i + 1]]]), []));
    expect(Object.keys(entry).sort()).toEqual(['k', 'n', 'r', 'v']);
    expect(entry.k).toMatch(/^[0-9a-f]{32}$/);
    expect(entry.r.split('\n')).toHaveLength(Number(entry.n));
    // Ingest is ready (the queue is there); ClickHouse's absence shows in the backlog metric.
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(Number(/^analytics_backlog_events\{[^}]*\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1000);
    await until('the inserter to fail an insert', async () => (await insertFailures()) > 0);

    proxy.restore();
    const counts = await expectExactlyOnce();
    process.stdout.write(`[outage] burst: ${accepted.length} events answered 202 (1,000 while ClickHouse was cut); in ClickHouse: ${counts.final} with FINAL, ${counts.stored} stored rows\n`);
    const log = svc!.output();
    expect(log).toContain('"msg":"ClickHouse unavailable"');
    expect(log).toContain('"msg":"ClickHouse available again"');
    expect(log).not.toContain('127.0.0.1');
  }, 120_000);

  it('loses and doubles nothing when the service is SIGKILLed holding batches while ClickHouse is down', async () => {
    proxy.cut();
    expect((await send(8)).every((r) => r.status === 202)).toBe(true);
    // The inserter read them and holds them, unacknowledged, failing to insert…
    await until('the inserter to hold batches', async () => (await pending()) > 0);
    const held = await pending();
    // …when the process dies without a word.
    svc!.proc.kill('SIGKILL');
    expect(await svc!.exited).toEqual({ code: null, signal: 'SIGKILL' });
    svc = await start();
    expect((await send(2)).every((r) => r.status === 202)).toBe(true);
    proxy.restore();
    // The new process takes the dead one's batches over (idle > ANALYTICS_CLAIM_IDLE_MS) and reads the rest.
    const counts = await expectExactlyOnce();
    expect(await pending()).toBe(0);
    process.stdout.write(`[outage] SIGKILL: ${held} batches held by the killed inserter; ${accepted.length} events answered 202 in all; in ClickHouse: ${counts.final} with FINAL, ${counts.stored} stored rows\n`);
  }, 120_000);

  it('answers 503 UNAVAILABLE with Retry-After once the backlog is full, and 202 again once it drained', async () => {
    proxy.cut();
    const answers = await send(MAX_BACKLOG / BATCH + 1);
    expect(answers.slice(0, -1).every((r) => r.status === 202)).toBe(true);
    const full = answers[answers.length - 1];
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe(String(RETRY_AFTER_SEC));
    expect(await full.json()).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE', message: 'telemetry backlog is full; try again later' });
    expect(await queue.backlog()).toBe(MAX_BACKLOG);
    proxy.restore();
    await until('the backlog to drain', async () => (await queue.backlog()) === 0, 60_000);
    expect((await send(1))[0].status).toBe(202);
    const counts = await expectExactlyOnce();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^analytics_batches_rejected_total\{reason="backlog_full",service="analytics-service"\} 1$/m);
    process.stdout.write(`[outage] backlog: ${MAX_BACKLOG} queued, the next batch 503 (Retry-After ${RETRY_AFTER_SEC}); in ClickHouse after the run: ${counts.final} events, each once\n`);
  }, 120_000);

  it('leaves no address and no identifier in any ClickHouse row of the run', async () => {
    const { rows, findings } = await scanTables(db);
    expect(rows).toBeGreaterThanOrEqual(accepted.length);
    expect(findings).toEqual([]);
  });
});

describe('Redis out of reach: 503 UNAVAILABLE, nothing half-done', () => {
  let db: TelemetryDb;
  let redis: ThrowawayRedis;
  let svc: RunningIngest;

  beforeAll(async () => {
    db = await TelemetryDb.create('redisdown');
    redis = await ThrowawayRedis.start({ appendOnly: true });
    svc = await startIngestApp(db, { REDIS_URL: redis.url, ANALYTICS_RETRY_AFTER_SEC: String(RETRY_AFTER_SEC) });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await redis?.dispose();
    await db?.drop();
  });

  it('answers 503 with Retry-After while Redis is down and 202 once it is back', async () => {
    const location = testLocation();
    expect((await postEvents(svc.base, { events: markedEvents(location, 0, 10) })).status).toBe(202);
    await redis.stop('SIGKILL');
    const res = await postEvents(svc.base, { events: markedEvents(location, 10, 10) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(String(RETRY_AFTER_SEC));
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE' });
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|redis:/i);
    expect((await fetch(`${svc.base}/health/ready`)).status).toBe(503);
    await redis.start();
    await waitForHttp(`${svc.base}/health/ready`, 20_000);
    await until('a batch accepted again', async () => (await postEvents(svc.base, { events: markedEvents(location, 20, 10) })).status === 202);
    // The first batch (in the append-only file before the crash) and the last; the refused one never.
    await until('both accepted batches in ClickHouse', async () => (await db.count()) === 20, 30_000);
    const marks = (await db.query<{ m: number }>(`SELECT handshake_ms AS m FROM telemetry FINAL ORDER BY m`)).map((r) => r.m);
    expect(marks).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
  }, 90_000);
});
