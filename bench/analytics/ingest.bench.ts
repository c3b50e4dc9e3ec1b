/**
 * Telemetry ingest benchmark (analytics-service, `POST /v1/events`), on loopback against the local
 * stack's Redis (the analytics side's user) and ClickHouse, each measured side on a throwaway
 * database of its own:
 *
 *   node -r @swc-node/register bench/analytics/ingest.bench.ts
 *
 * 1. Throughput, for batches of 100 and of 500 events at 16 connections (autocannon): events/s
 *    answered 202 over HTTP, and events/s *landed* — from the first request until the last event is
 *    in ClickHouse (through the Redis Stream and the service's inserter). Beside it, in the same
 *    run, the same rows inserted raw with @clickhouse/client in batches of the same size by 16
 *    concurrent inserters, in the two ways a client would: JSONEachRow objects, and TabSeparated
 *    text (what the service's inserter sends); the baseline is the faster of the two. Rounds are
 *    interleaved (HTTP, raw JSON, raw TSV, HTTP, …) and each ratio is the median of per-round
 *    ratios; every round (either side) starts from an empty table (TRUNCATE), so that parts left by
 *    earlier rounds do not throttle it. Target: landed / raw ≥ 0.5. Also the p99 of the 202.
 * 2. Time from 202 to visible in ClickHouse (p50/p99): probe batches (one event with a location of
 *    its own) sent every 50 ms, found by a poller querying every 25 ms (the figure is the poll
 *    that first answered with it: at most ~25 ms late) — with the service otherwise idle, and
 *    under batch-100 load at 16 connections.
 *
 * The service runs as its own process (as deployed), with LOG_LEVEL=warn and a backlog limit
 * well above the run. Every round checks that each event it got a 202 for is in ClickHouse exactly
 * once (FINAL). Bounded: a few minutes.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { cpus } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import autocannon from 'autocannon';
import { ClickHouseClient, createClient } from '@clickhouse/client';
import { spawnService, waitForHttp } from '@phoenix/common/testing';
import { createClickHouse, runClickHouseMigrations } from '@phoenix/database';
import Redis from 'ioredis';
import { QUEUED_COLUMNS, parseEventBatch } from '../../apps/analytics-service/src/ingest/telemetry-event';
import { median, stackEnv } from '../support';

const PORT = 3931;
const CONNECTIONS = 16;
const ROUNDS = 3;
const EVENTS_PER_ROUND = 200_000;
const BATCH_SIZES = [100, 500] as const;
const DISTINCT_BODIES = 24;
const PROBES = 120;
const PROBE_EVERY_MS = 50;
const POLL_EVERY_MS = 25;
const TARGET_RATIO = 0.5;
const LANDED_TIMEOUT_MS = 120_000;
const MIGRATIONS = path.resolve(__dirname, '../../infra/clickhouse/migrations');

const log = (s: string) => process.stdout.write(`${s}\n`);
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)] as T;

const LOCATIONS = ['de-fra', 'nl-ams', 'us-nyc', 'gb-lon', 'jp-tyo', 'sg-sin'];
const PLATFORMS = ['ios', 'android', 'macos', 'windows', 'linux', 'web'];
const VERSIONS = ['3.2.1', '3.2.0', '3.1.4', '2.9'];

/** A realistic event: 40 % connections (80 % of them successful), 25 % throughput, 20 % sessions, 15 % blocking. */
function event(): Record<string, unknown> {
  const base: Record<string, unknown> = { platform: pick(PLATFORMS), appVersion: pick(VERSIONS) };
  if (randomInt(2) === 0) base.at = new Date(Date.now() - randomInt(6 * 3600_000)).toISOString();
  const r = randomInt(100);
  if (r < 40) {
    return randomInt(5) > 0
      ? { type: 'connection', ...base, location: pick(LOCATIONS), outcome: 'success', handshakeMs: 40 + randomInt(400) }
      : { type: 'connection', ...base, location: pick(LOCATIONS), outcome: 'failure', failureReason: pick(['handshake_timeout', 'token_rejected', 'no_capacity', 'network_unreachable', 'other']) };
  }
  if (r < 65) return { type: 'throughput', ...base, location: pick(LOCATIONS), downMbps: randomInt(100_000) / 100, upMbps: randomInt(30_000) / 100 };
  if (r < 85) return { type: 'session', ...base, location: pick(LOCATIONS), durationBucket: pick(['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h']), transferBucket: pick(['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB']) };
  return { type: 'blocking', ...base, mbBlocked: randomInt(50_000) / 100, requestsBlocked: randomInt(5000), timeSavedSec: randomInt(3600) };
}

/** A queued row (TabSeparated, as the service normalises it) as the object a JSONEachRow client sends. */
function rowObject(line: string): Record<string, unknown> {
  const values = line.split('\t');
  const o: Record<string, unknown> = {};
  QUEUED_COLUMNS.forEach((c, i) => {
    const v = values[i] as string;
    o[c] = v === '\\N' ? null : /^(hour|handshake_ms|down_mbps|up_mbps|mb_blocked|requests_blocked|time_saved_sec)$/.test(c) ? Number(v) : v;
  });
  return o;
}

const rowKey = () => randomBytes(8).readBigUInt64BE(0).toString();

/** Events as the service queues them (its own normaliser). */
function normalised(events: unknown[]): string[] {
  const rows: string[] = [];
  for (let i = 0; i < events.length; i += 500) {
    const parsed = parseEventBatch({ events: events.slice(i, i + 500) }, Date.now());
    if (!parsed.ok) throw new Error(parsed.message);
    rows.push(...parsed.rows);
  }
  return rows;
}

/** A throwaway database on the stack's ClickHouse with the shipped schema. */
async function benchDatabase(url: string, name: string): Promise<{ url: string; ch: ClickHouseClient; drop: () => Promise<void> }> {
  const admin = createClickHouse(url);
  await admin.command({ query: `CREATE DATABASE ${name}` });
  await admin.close();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const migrate = createClickHouse(u.toString());
  await runClickHouseMigrations(migrate, MIGRATIONS);
  await migrate.close();
  const ch = createClient({
    url: `${u.protocol}//${u.host}`,
    username: u.username ? decodeURIComponent(u.username) : 'default',
    password: u.password ? decodeURIComponent(u.password) : '',
    database: name,
    request_timeout: 300_000,
    max_open_connections: CONNECTIONS,
    compression: { request: false, response: false },
  });
  return {
    url: u.toString(),
    ch,
    drop: async () => {
      // A DROP waits for the table's running merges (minutes, after thousands of small inserts on a
      // busy host): stop them first.
      await ch.command({ query: 'SYSTEM STOP MERGES telemetry' }).catch(() => undefined);
      await ch.command({ query: `DROP DATABASE IF EXISTS ${name}` }).catch((e: Error) => log(`could not drop ${name} (drop it by hand): ${e.message}`));
      await ch.close();
    },
  };
}

/**
 * Empties `telemetry` before a round, on both sides: parts left by earlier rounds (hundreds, from
 * small raw inserts) would make ClickHouse throttle the next round's inserts, so each round starts
 * from the same empty table.
 */
async function truncate(ch: ClickHouseClient): Promise<void> {
  await ch.command({ query: 'TRUNCATE TABLE telemetry' });
}

async function count(ch: ClickHouseClient, final = false): Promise<number> {
  const rs = await ch.query({ query: `SELECT count() AS n FROM telemetry${final ? ' FINAL' : ''}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

interface HttpRun {
  acceptedPerSec: number;
  landedPerSec: number;
  p50: number;
  p99: number;
  events: number;
  non202: number;
}

/**
 * `requests` POSTs of the prepared bodies at 16 connections into an empty table; then waits until
 * every accepted event is in ClickHouse, and checks it is there exactly once (FINAL).
 */
async function httpRound(base: string, bodies: string[], batch: number, requests: number, ch: ClickHouseClient, exact = true): Promise<HttpRun> {
  await truncate(ch);
  let next = 0;
  let last = 0n;
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${base}/v1/events`,
        connections: CONNECTIONS,
        amount: requests,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', () => {
      last = process.hrtime.bigint();
    });
  });
  const accepted = result['2xx'] * batch;
  const deadline = Date.now() + LANDED_TIMEOUT_MS;
  while ((await count(ch)) < accepted) {
    if (Date.now() > deadline) throw new Error(`events did not land within ${LANDED_TIMEOUT_MS} ms`);
    await sleep(20);
  }
  const landed = process.hrtime.bigint();
  const final = exact ? await count(ch, true) : accepted;
  if (final !== accepted) throw new Error(`${accepted} events accepted but ${final} in ClickHouse`);
  const secs = (t: bigint) => Number(t - started) / 1e9;
  return {
    acceptedPerSec: accepted / secs(last),
    landedPerSec: accepted / secs(landed),
    p50: result.latency.p50,
    p99: result.latency.p99,
    events: accepted,
    non202: result.non2xx + result.errors,
  };
}

/** The same rows inserted raw by 16 concurrent inserters in batches of `batch`: events/s. */
async function rawRound(ch: ClickHouseClient, lines: string[], batch: number, format: 'JSONEachRow' | 'TabSeparated'): Promise<number> {
  await truncate(ch);
  const batches: string[][] = [];
  for (let i = 0; i < lines.length; i += batch) batches.push(lines.slice(i, i + batch));
  // Encoding the rows is the client's work: prepared outside the clock only as far as a client
  // would hold them (objects for JSON, lines for TSV); keys are fresh per insert.
  const objects = format === 'JSONEachRow' ? batches.map((b) => b.map(rowObject)) : [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < batches.length) {
        const i = next++;
        if (format === 'JSONEachRow') {
          await ch.insert({ table: 'telemetry', format, values: (objects[i] as Array<Record<string, unknown>>).map((o) => ({ ...o, row_key: rowKey() })) });
        } else {
          const text = `${(batches[i] as string[]).map((l) => `${l}\t${rowKey()}`).join('\n')}\n`;
          await ch.insert({ table: 'telemetry', format, columns: [...QUEUED_COLUMNS, 'row_key'], values: Readable.from([Buffer.from(text)], { objectMode: false }) });
        }
      }
    }),
  );
  return lines.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Probe batches every 50 ms, each one event in a location of its own; ms from its 202 until a poll finds it. */
async function visibility(base: string, ch: ClickHouseClient, during?: Promise<unknown>): Promise<number[]> {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const waiting = new Map<string, number>();
  const delays: number[] = [];
  let sending = true;
  const poller = (async () => {
    const deadline = Date.now() + 60_000;
    while ((sending || waiting.size > 0) && Date.now() < deadline) {
      if (waiting.size > 0) {
        const ids = [...waiting.keys()];
        const rs = await ch.query({ query: `SELECT DISTINCT location FROM telemetry FINAL WHERE type = 'throughput' AND location IN (${ids.map((l) => `'${l}'`).join(',')})`, format: 'JSONEachRow' });
        const seenAt = performance.now();
        for (const { location } of await rs.json<{ location: string }>()) {
          const sentAt = waiting.get(location);
          if (sentAt === undefined) continue;
          delays.push(seenAt - sentAt);
          waiting.delete(location);
        }
      }
      await sleep(POLL_EVERY_MS);
    }
  })();
  for (let i = 0; i < PROBES; i++) {
    const location = `zz-${Array.from({ length: 12 }, () => pick([...letters])).join('')}`;
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ type: 'throughput', platform: 'ios', appVersion: '3.2.1', location, downMbps: 1, upMbps: 1 }] }),
    });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`probe answered ${res.status}`);
    waiting.set(location, performance.now());
    await sleep(PROBE_EVERY_MS);
  }
  sending = false;
  await poller;
  await during;
  if (waiting.size > 0) throw new Error(`${waiting.size} probes never became visible`);
  return delays.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

async function main(): Promise<void> {
  const env = stackEnv();
  log(`telemetry ingest benchmark: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
  const run = randomBytes(3).toString('hex');
  const served = await benchDatabase(env.CLICKHOUSE_URL as string, `bench_ingest_${run}`);
  const raw = await benchDatabase(env.CLICKHOUSE_URL as string, `bench_raw_${run}`);
  const prefix = `analytics:bench-${run}:`;
  const service = spawnService('analytics-service', {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    CLICKHOUSE_URL: served.url,
    REDIS_URL: env.REDIS_URL_ANALYTICS as string, // the analytics side's Redis user
    REDIS_KEY_PREFIX: prefix,
    ANALYTICS_MAX_BACKLOG: '10000000',
    LOG_LEVEL: 'warn',
    PORT: String(PORT),
    HOST: '127.0.0.1',
  });
  const base = `http://127.0.0.1:${PORT}`;
  const admin = new Redis(env.REDIS_URL as string);
  try {
    await waitForHttp(`${base}/health/ready`, 60_000);

    const results = new Map<number, { http: HttpRun[]; json: number[]; tsv: number[] }>();
    // Every HTTP round checks its events are in ClickHouse exactly once; these add them up.
    let verified = 0;
    // Warm-up: the service's JIT, ClickHouse's first parts.
    const warmBodies = Array.from({ length: 4 }, () => JSON.stringify({ events: Array.from({ length: 100 }, event) }));
    verified += (await httpRound(base, warmBodies, 100, 200, served.ch)).events;
    await rawRound(raw.ch, normalised(Array.from({ length: 5000 }, event)), 100, 'TabSeparated');

    for (const batch of BATCH_SIZES) {
      const bodies = Array.from({ length: DISTINCT_BODIES }, () => JSON.stringify({ events: Array.from({ length: batch }, event) }));
      // The same rows for the raw inserts: the bodies' events as the service normalises them.
      const lines: string[] = [];
      for (let i = 0; lines.length < EVENTS_PER_ROUND; i++) lines.push(...normalised((JSON.parse(bodies[i % bodies.length] as string) as { events: unknown[] }).events));
      const r = { http: [] as HttpRun[], json: [] as number[], tsv: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const h = await httpRound(base, bodies, batch, EVENTS_PER_ROUND / batch, served.ch);
        verified += h.events;
        r.http.push(h);
        r.json.push(await rawRound(raw.ch, lines, batch, 'JSONEachRow'));
        r.tsv.push(await rawRound(raw.ch, lines, batch, 'TabSeparated'));
        log(
          `batch ${batch}, round ${round + 1}: accepted ${fmt(h.acceptedPerSec)}/s, landed ${fmt(h.landedPerSec)}/s (202 p50 ${h.p50} ms, p99 ${h.p99} ms); raw JSONEachRow ${fmt(r.json[round] as number)}/s, raw TabSeparated ${fmt(r.tsv[round] as number)}/s`,
        );
      }
      results.set(batch, r);
    }

    // 202 → visible: idle, then under batch-100 load (a round of its own, which checks itself).
    await truncate(served.ch);
    const idle = await visibility(base, served.ch);
    const idleFinal = await count(served.ch, true);
    if (idleFinal !== PROBES) throw new Error(`${PROBES} probes accepted but ${idleFinal} in ClickHouse`);
    verified += PROBES;
    const loadBodies = Array.from({ length: DISTINCT_BODIES }, () => JSON.stringify({ events: Array.from({ length: 100 }, event) }));
    let loadEvents = 0;
    // Probes land in the same table meanwhile: this round is checked with them, below.
    const load = httpRound(base, loadBodies, 100, EVENTS_PER_ROUND / 100, served.ch, false).then((h) => (loadEvents = h.events));
    // Started after the load round emptied the table.
    await sleep(200);
    const loaded = await visibility(base, served.ch, load);
    const loadFinal = await count(served.ch, true);
    if (loadFinal !== loadEvents + PROBES) throw new Error(`${loadEvents + PROBES} accepted but ${loadFinal} in ClickHouse`);
    verified += loadFinal;
    const backlog = Number((await admin.get(`${prefix}{telemetry}:backlog`)) ?? 0);

    log('');
    log(`| measurement (loopback, ${CONNECTIONS} connections, ${fmt(EVENTS_PER_ROUND)} events a round, median of ${ROUNDS} interleaved rounds) | batch 100 | batch 500 |`);
    log('| --- | ---: | ---: |');
    const cell = (f: (r: { http: HttpRun[]; json: number[]; tsv: number[] }) => string) => BATCH_SIZES.map((b) => f(results.get(b)!)).join(' | ');
    log(`| events/s accepted (202) over HTTP | ${cell((r) => fmt(median(r.http.map((h) => h.acceptedPerSec))))} |`);
    log(`| events/s landed in ClickHouse (first request → last row visible) | ${cell((r) => fmt(median(r.http.map((h) => h.landedPerSec))))} |`);
    log(`| raw @clickhouse/client inserts, JSONEachRow, events/s | ${cell((r) => fmt(median(r.json)))} |`);
    log(`| raw @clickhouse/client inserts, TabSeparated, events/s | ${cell((r) => fmt(median(r.tsv)))} |`);
    const ratios = new Map<number, number>();
    for (const b of BATCH_SIZES) {
      const r = results.get(b)!;
      ratios.set(b, median(r.http.map((h, i) => h.landedPerSec / Math.max(r.json[i] as number, r.tsv[i] as number))));
    }
    const verdict = (x: number) => `**${fmt(x, 2)}** ${x >= TARGET_RATIO ? 'PASS' : 'FAIL'}`;
    log(`| **landed / raw** (the faster raw way; target ≥ ${TARGET_RATIO}) | ${BATCH_SIZES.map((b) => verdict(ratios.get(b)!)).join(' | ')} |`);
    log(`| accepted / raw | ${cell((r) => fmt(median(r.http.map((h, i) => h.acceptedPerSec / Math.max(r.json[i] as number, r.tsv[i] as number))), 2))} |`);
    log(`| 202 latency p50 / p99 (median of rounds) | ${cell((r) => `${fmt(median(r.http.map((h) => h.p50)))} ms / ${fmt(median(r.http.map((h) => h.p99)))} ms`)} |`);
    log(`| 202 → visible in ClickHouse, idle: p50 / p99 (${PROBES} probes) | ${fmt(quantile(idle, 0.5))} ms / ${fmt(quantile(idle, 0.99))} ms | |`);
    log(`| 202 → visible in ClickHouse, under batch-100 load: p50 / p99 (${PROBES} probes) | ${fmt(quantile(loaded, 0.5))} ms / ${fmt(quantile(loaded, 0.99))} ms | |`);
    const non202 = [...results.values()].flatMap((r) => r.http).reduce((n, h) => n + h.non202, 0);
    log(`| non-202 answers | ${non202} | |`);
    log(`| events accepted, each found in ClickHouse exactly once (FINAL, round by round) / backlog left | ${fmt(verified)} / ${backlog} | |`);
  } finally {
    await service.stop();
    let cursor = '0';
    do {
      const [c, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = c;
      if (keys.length) await admin.unlink(...keys);
    } while (cursor !== '0');
    admin.disconnect();
    await served.drop();
    await raw.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`ingest bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
