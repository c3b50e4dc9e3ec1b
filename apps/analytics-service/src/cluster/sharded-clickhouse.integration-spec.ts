import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { FleetReportRow, Patterns, TenantUsageRow, channelListeners, createServiceApp, redisClientOptions, redisTransportOptions } from '@phoenix/common';
import { ThrowawayRedis, WORKSPACE_ROOT, waitForHttp } from '@phoenix/common/testing';
import { createClickHouse, splitStatements, substituteVariables } from '@phoenix/database';
import Redis from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { ThrowawayClickHouseCluster } from '../../test/clickhouse-cluster';
import { TelemetryDb, markedEvents, postEvents, testLocation, testPrefix, until } from '../../test/ingest-support';
import { insertFleet, insertTelemetry, times } from '../../test/stats-support';
import { AppModule } from '../app.module';
import { AnalyticsConfig, loadAnalyticsConfig } from '../config';
import { EVENTS_BODY_LIMIT } from '../ingest/ingest.controller';
import { batchNonce, keyedRows } from '../ingest/row-key';
import { parseEventBatch } from '../ingest/telemetry-event';
import { TelemetryQueue } from '../ingest/telemetry.queue';
import { TelemetryRepository } from '../ingest/telemetry.repository';
import { RetentionService } from '../retention/retention.service';
import { PANELS, allCellsSql } from '../stats/panels';
import { migrateClickHouse, migrationsDir, verifyClusterMembers } from './clickhouse-cluster';

// Sharded ClickHouse (README "Sharded ClickHouse"): two clickhouse-servers of this suite's own as the
// two shards of a cluster, the cluster schema applied by the migrations, and analytics-service on it
// beside a second analytics-service on one server (a database of its own on the stack's
// ClickHouse). Both get the same events — through POST /v1/events and the real inserter — and the
// same fleet reports over the Redis transport (a redis-server of the suite's own, so no other
// analytics-service hears them); rows land on both shards and every panel answers exactly the same.

const CLUSTER = 'phoenix_shards';
const DATABASE = `phoenix_${randomBytes(4).toString('hex')}`;
const ADMIN_TOKEN = `cluster-admin-${randomBytes(12).toString('hex')}`;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface Service {
  app: NestFastifyApplication;
  base: string;
  config: AnalyticsConfig;
}

/** A seeded generator (mulberry32): the same mix on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS = ['handshake_timeout', 'token_rejected', 'no_capacity', 'network_unreachable', 'other'] as const;
const DURATIONS = ['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h'] as const;
const TRANSFERS = ['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB'] as const;
const PLATFORMS = ['ios', 'android', 'macos', 'windows', 'linux'] as const;

/**
 * Events of every type over the last days, each with its own `at` (so both services store the same
 * hour): busy hours with cells of at least k, quiet ones under k, a day of k − 1 blocking reports.
 */
function eventMix(locations: string[], nowMs: number): Array<Record<string, unknown>> {
  const rnd = prng(19);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const at = (daysAgo: number, hour: number) => new Date(Math.floor(nowMs / DAY_MS) * DAY_MS - daysAgo * DAY_MS + hour * HOUR_MS + Math.floor(rnd() * HOUR_MS)).toISOString();
  const common = () => ({ platform: pick(PLATFORMS), appVersion: pick(['2.3.1', '2.4.0', '2.10.2', '3.0']) });
  const events: Array<Record<string, unknown>> = [];
  for (const location of locations) {
    for (let hour = 0; hour < 24; hour += 3) {
      const attempts = hour === 3 ? Math.floor(rnd() * 9) : 10 + Math.floor(rnd() * 30);
      for (let i = 0; i < attempts; i++) {
        const ok = rnd() < 0.8;
        const e = { type: 'connection', ...common(), location, at: at(1 + Math.floor(rnd() * 4), hour) };
        events.push(ok ? { ...e, outcome: 'success', handshakeMs: 60 + Math.floor(rnd() * 400) } : { ...e, outcome: 'failure', failureReason: pick(REASONS) });
      }
    }
    for (let i = 0; i < 30; i++) {
      events.push({ type: 'throughput', ...common(), location, at: at(1 + (i % 5), i % 24), downMbps: Math.round((40 + rnd() * 260) * 100) / 100, upMbps: Math.round((10 + rnd() * 60) * 10) / 10 });
    }
    for (let i = 0; i < 120; i++) {
      const d = Math.min(5, Math.floor(rnd() * rnd() * 7));
      events.push({ type: 'session', ...common(), location, at: at(1 + (i % 5), i % 24), durationBucket: DURATIONS[d], transferBucket: TRANSFERS[Math.min(4, Math.max(0, d - 1 + Math.floor(rnd() * 3)))] });
    }
  }
  for (let day = 1; day <= 5; day++) {
    const n = day === 3 ? 9 : 15 + Math.floor(rnd() * 20);
    for (let i = 0; i < n; i++) {
      events.push({ type: 'blocking', ...common(), at: at(day, i % 24), mbBlocked: Math.round(rnd() * 4000) / 100, requestsBlocked: Math.floor(rnd() * 900), timeSavedSec: Math.floor(rnd() * 240) });
    }
  }
  return events;
}

describe('analytics-service on a two-shard ClickHouse cluster', () => {
  let cluster: ThrowawayClickHouseCluster;
  let redis: ThrowawayRedis;
  let single: TelemetryDb;
  let onCluster: Service;
  let onOne: Service;
  let sender: ClientProxy;
  /** Clients of each shard's server (`shards[0]` is the one the service talks to). */
  let shards: ClickHouseClient[];
  let migrated: Array<{ server: string; applied: string[] }>;
  const locations = [testLocation(), testLocation(), testLocation()];
  const now = Date.now();
  const window = `from=${new Date(now - 6 * DAY_MS).toISOString().slice(0, 10)}&to=${new Date(now).toISOString().slice(0, 10)}`;
  let posted = 0;

  const count = async (ch: ClickHouseClient, sql: string): Promise<number> => Number((await (await ch.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
  const perShard = (sql: string) => Promise.all(shards.map((ch) => count(ch, sql)));
  const stats = async (svc: Service, panel: string) => {
    const res = await fetch(`${svc.base}/v1/stats/${panel}?${window}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  async function startService(env: Record<string, string>): Promise<Service> {
    const config = loadAnalyticsConfig({
      ...process.env,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: testPrefix(),
      ADMIN_TOKEN,
      ANALYTICS_INSERT_BATCH_ROWS: '1000',
      ANALYTICS_INSERT_INTERVAL_MS: '200',
      LOG_LEVEL: 'silent',
      ...env,
    });
    const app = await createServiceApp({ service: 'analytics-service', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test', bodyLimit: EVENTS_BODY_LIMIT });
    app.connectMicroservice(redisTransportOptions(config.REDIS_URL), { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    await waitForHttp(`${base}/health/ready`, 15_000);
    return { app, base, config };
  }

  /** The same batch to both services. */
  async function postBoth(events: Array<Record<string, unknown>>): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      const batch = { events: events.slice(i, i + 500) };
      for (const svc of [onCluster, onOne]) expect((await postEvents(svc.base, batch)).status).toBe(202);
      posted += batch.events.length;
    }
  }

  beforeAll(async () => {
    [cluster, redis, single] = await Promise.all([ThrowawayClickHouseCluster.start(CLUSTER, 2), ThrowawayRedis.start(), TelemetryDb.create('sharded')]);
    shards = cluster.servers.map((s) => createClickHouse(s.url(DATABASE), undefined, { insert_distributed_sync: 1 }));
    for (const s of cluster.servers) {
      const admin = createClickHouse(s.url());
      await admin.command({ query: `CREATE DATABASE ${DATABASE}` });
      await admin.close();
    }
    const env = {
      CLICKHOUSE_URL: cluster.servers[0].url(DATABASE),
      CLICKHOUSE_CLUSTER: CLUSTER,
      CLICKHOUSE_CLUSTER_URLS: cluster.servers.map((s) => s.url(DATABASE)).join(','),
      CLICKHOUSE_CLUSTER_SCHEMA: 'unreplicated',
    };
    const config = loadAnalyticsConfig({ ...process.env, ...env, REDIS_URL: redis.url });
    migrated = await migrateClickHouse(config, migrationsDir(WORKSPACE_ROOT, config));
    [onCluster, onOne] = await Promise.all([startService(env), startService({ CLICKHOUSE_URL: single.url })]);
    sender = ClientProxyFactory.create(redisClientOptions('fleet-sender', redis.url) as never) as unknown as ClientProxy;
    await sender.connect();
    // Both services listen before any report is sent: each must hear every one.
    const admin = redis.client();
    try {
      await until('both services subscribed to fleet reports', async () => (await channelListeners(admin, Patterns.ANALYTICS_FLEET_REPORT)) >= 2, 15_000);
    } finally {
      admin.disconnect();
    }
  }, 60_000);

  afterAll(async () => {
    await sender?.close();
    await Promise.all([onCluster?.app.close(), onOne?.app.close()]);
    await Promise.all((shards ?? []).map((ch) => ch.close()));
    await cluster?.dispose();
    await redis?.dispose();
    await single?.drop();
  }, 60_000);

  it('applies the cluster schema on both servers, checks they are the cluster, and makes the same tables as one server', async () => {
    expect(migrated.map((m) => m.applied)).toEqual([
      ['1_telemetry', '2_tenant_usage'],
      ['1_telemetry', '2_tenant_usage'],
    ]);
    const config = onCluster.config;
    expect((await migrateClickHouse(config, migrationsDir(WORKSPACE_ROOT, config))).map((m) => m.applied)).toEqual([[], []]);
    // A list that leaves a shard out, or names a server outside the cluster, applies nothing.
    await expect(verifyClusterMembers(CLUSTER, [cluster.servers[0].url(DATABASE)])).rejects.toThrow(`leaves out server(s) 2.1 (shard.replica) of cluster ${CLUSTER}`);
    await expect(verifyClusterMembers(CLUSTER, [...cluster.servers.map((s) => s.url(DATABASE)), single.url])).rejects.toThrow(`has no cluster ${CLUSTER}`);

    // Column for column, key for key, the single server's tables; the service's names are Distributed.
    const shape = async (ch: ClickHouseClient, table: string) =>
      (
        await ch.query({
          query: `SELECT name, type, is_in_partition_key, is_in_sorting_key FROM system.columns WHERE database = currentDatabase() AND table = '${table}' ORDER BY name`,
          format: 'JSONEachRow',
        })
      ).json();
    const keys = async (ch: ClickHouseClient, table: string) =>
      (await (await ch.query({ query: `SELECT engine, partition_key, sorting_key FROM system.tables WHERE database = currentDatabase() AND name = '${table}'`, format: 'JSONEachRow' })).json())[0];
    for (const table of ['telemetry', 'fleet_hourly', 'tenant_usage_daily']) {
      expect(await shape(shards[1], `${table}_local`)).toEqual(await shape(single.ch, table));
      expect(await keys(shards[1], `${table}_local`)).toEqual(await keys(single.ch, table));
      expect(((await keys(shards[0], table)) as { engine: string }).engine).toBe('Distributed');
    }
  });

  it('the replicated variant: 18.16 takes every statement up to where it needs ZooKeeper, and its tables are the same', async () => {
    const replicated = `${DATABASE}_replicated`;
    const dir = path.join(WORKSPACE_ROOT, 'infra/clickhouse/cluster');
    const statements = (variant: string, database: string) =>
      ['001_telemetry.sql', '002_tenant_usage.sql'].flatMap((file) => splitStatements(readFileSync(path.join(dir, variant, file), 'utf8')).map((s) => substituteVariables(s, { cluster: CLUSTER, database })));
    const ch = createClickHouse(cluster.servers[0].url(replicated));
    const admin = createClickHouse(cluster.servers[0].url());
    const attached: string[] = [];
    try {
      await admin.command({ query: `CREATE DATABASE ${replicated}` });
      for (const st of statements('replicated', replicated)) {
        if (!/ENGINE = Replicated/.test(st)) {
          await ch.command({ query: st });
          continue;
        }
        // Parsed, macros expanded, columns and keys checked: then it needs ZooKeeper, which is not here.
        await expect(ch.command({ query: st })).rejects.toThrow(/Code: 225.*Can't create replicated table without ZooKeeper/);
        // ATTACH takes the same definition without ZooKeeper (read-only), so the result can be compared.
        const attach = st.replace(/^CREATE TABLE IF NOT EXISTS/, 'ATTACH TABLE');
        await ch.command({ query: attach });
        attached.push(/^ATTACH TABLE (\w+)/.exec(attach)?.[1] as string);
      }
      expect(attached).toEqual(['telemetry_local', 'fleet_hourly_local', 'tenant_usage_daily_local']);
      const columnsOf = async (database: string) =>
        (
          await admin.query({
            query: `SELECT table, name, type, is_in_partition_key, is_in_sorting_key FROM system.columns WHERE database = '${database}' AND table != 'schema_migrations' ORDER BY table, name`,
            format: 'JSONEachRow',
          })
        ).json();
      expect(await columnsOf(replicated)).toEqual(await columnsOf(DATABASE));
      for (const table of ['telemetry', 'telemetry_local', 'fleet_hourly', 'fleet_hourly_local', 'tenant_usage_daily', 'tenant_usage_daily_local']) {
        const describeTable = async (database: string) => (await admin.query({ query: `DESCRIBE TABLE ${database}.${table}`, format: 'JSONEachRow' })).json();
        expect(await describeTable(replicated)).toEqual(await describeTable(DATABASE)); // the columns' order too
      }
      const tables = async (database: string) =>
        (
          await admin.query({
            query: `SELECT name, engine, engine_full, partition_key, sorting_key FROM system.tables WHERE database = '${database}' AND name != 'schema_migrations' ORDER BY name`,
            format: 'JSONEachRow',
          })
        ).json<{ name: string; engine: string; engine_full: string; partition_key: string; sorting_key: string }>();
      const [r, u] = [await tables(replicated), await tables(DATABASE)];
      expect(r.map((t) => [t.name, t.engine])).toEqual([
        ['fleet_hourly', 'Distributed'],
        ['fleet_hourly_local', 'ReplicatedReplacingMergeTree'],
        ['telemetry', 'Distributed'],
        ['telemetry_local', 'ReplicatedReplacingMergeTree'],
        ['tenant_usage_daily', 'Distributed'],
        ['tenant_usage_daily_local', 'ReplicatedReplacingMergeTree'],
      ]);
      expect(r.map((t) => [t.name, t.partition_key, t.sorting_key])).toEqual(u.map((t) => [t.name, t.partition_key, t.sorting_key]));
      expect(r.find((t) => t.name === 'fleet_hourly_local')?.engine_full).toContain(`ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${replicated}/fleet_hourly_local', '{replica}', version)`);
      expect(r.find((t) => t.name === 'tenant_usage_daily_local')?.engine_full).toContain(`ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${replicated}/tenant_usage_daily_local', '{replica}', version)`);
      for (const name of ['telemetry', 'fleet_hourly', 'tenant_usage_daily']) {
        const engine = (rows: typeof r, db: string) => rows.find((t) => t.name === name)?.engine_full.replace(db, '<db>');
        expect(engine(r, replicated)).toBe(engine(u, DATABASE));
      }
    } finally {
      for (const t of attached) await admin.command({ query: `DETACH TABLE ${replicated}.${t}` }).catch(() => undefined);
      await Promise.all([ch.close(), admin.close()]);
    }
  });

  it('spreads events (POST /v1/events, the real inserter) and fleet reports (over the transport) over both shards', async () => {
    const events = eventMix(locations, now);
    await postBoth(events);

    const thisHour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const row = (location: string, h: number, o: Partial<FleetReportRow>): FleetReportRow => ({
      hour: new Date(thisHour - h * HOUR_MS).toISOString(),
      location,
      redemptions: 0,
      reused: 0,
      noCapacity: 0,
      invalid: 0,
      loadSum: 0,
      loadSamples: 0,
      ...o,
    });
    const rnd = prng(7);
    const totals = (scale: number): Partial<FleetReportRow> => {
      const redemptions = Math.floor(rnd() * 30 * scale);
      return { redemptions, reused: Math.floor(rnd() * 3), noCapacity: Math.floor(rnd() * 2), invalid: Math.floor(rnd() * 2), loadSum: Math.round(redemptions * rnd() * 900) / 10, loadSamples: redemptions };
    };
    const reports = [
      { version: now - 3000, rows: locations.flatMap((l) => Array.from({ length: 10 }, (_, h) => row(l, h, totals(h === 4 ? 0.2 : 1)))) },
      // Later totals for the latest hours: they replace the first report's.
      { version: now - 1000, rows: locations.flatMap((l) => [0, 1].map((h) => row(l, h, totals(1.5)))) },
      // An older report arriving late: changes nothing.
      { version: now - 5000, rows: locations.flatMap((l) => [0, 1].map((h) => row(l, h, totals(3)))) },
    ];
    for (const report of reports) await lastValueFrom(sender.emit(Patterns.ANALYTICS_FLEET_REPORT, report), { defaultValue: undefined });

    for (const ch of [shards[0], single.ch]) {
      await until('every event', async () => (await count(ch, 'SELECT count() AS n FROM telemetry FINAL')) === events.length, 30_000);
      for (const report of reports) {
        await until('every fleet report', async () => (await count(ch, `SELECT count() AS n FROM fleet_hourly WHERE version = ${report.version}`)) === report.rows.length, 15_000);
      }
    }
    const telemetry = await perShard('SELECT count() AS n FROM telemetry_local');
    expect(telemetry.every((n) => n > 0)).toBe(true);
    expect(telemetry[0] + telemetry[1]).toBe(events.length);
    const fleet = await perShard('SELECT count() AS n FROM fleet_hourly_local FINAL');
    expect(fleet.every((n) => n > 0)).toBe(true);
    expect(fleet[0] + fleet[1]).toBe(30);
    // Every report of one (hour, location) on one shard: FINAL there keeps the latest.
    const keysOn = async (ch: ClickHouseClient) =>
      new Set((await (await ch.query({ query: 'SELECT DISTINCT toString(hour) AS h, location FROM fleet_hourly_local', format: 'JSONEachRow' })).json<{ h: string; location: string }>()).map((r) => `${r.h} ${r.location}`));
    const [a, b] = await Promise.all(shards.map(keysOn));
    expect([...a].filter((k) => b.has(k))).toEqual([]);
    expect(a.size + b.size).toBe(30);
  });

  it('spreads tenant usage (over the transport) over both shards by tenant: every report of one tenant on one shard, FINAL keeps the latest', async () => {
    const today = new Date(Math.floor(now / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
    const yesterday = new Date(Math.floor(now / DAY_MS) * DAY_MS - DAY_MS).toISOString().slice(0, 10);
    const tenants = Array.from({ length: 16 }, () => randomUUID());
    const row = (tenantId: string, day: string, n: number): TenantUsageRow => ({ day, tenantId, connections: n, connectionSeconds: 60 * n, bytes: 1000 * n });
    const reports = [
      { version: now - 3000, rows: tenants.flatMap((t) => [row(t, yesterday, 1), row(t, today, 1)]) },
      // Later totals: they replace the first report's.
      { version: now - 1000, rows: tenants.flatMap((t) => [row(t, yesterday, 2), row(t, today, 3)]) },
      // An older report arriving late: changes nothing.
      { version: now - 5000, rows: tenants.map((t) => row(t, today, 9)) },
    ];
    for (const report of reports) await lastValueFrom(sender.emit(Patterns.ANALYTICS_TENANT_USAGE, report), { defaultValue: undefined });
    for (const ch of [shards[0], single.ch]) {
      for (const report of reports) {
        await until('every usage report', async () => (await count(ch, `SELECT count() AS n FROM tenant_usage_daily WHERE version = ${report.version}`)) === report.rows.length, 15_000);
      }
      expect(await count(ch, 'SELECT sum(connections) AS n FROM tenant_usage_daily FINAL')).toBe(16 * (2 + 3));
    }
    const onShards = await perShard('SELECT count() AS n FROM tenant_usage_daily_local FINAL');
    expect(onShards.every((n) => n > 0)).toBe(true);
    expect(onShards[0] + onShards[1]).toBe(32);
    const tenantsOn = async (ch: ClickHouseClient) => new Set((await (await ch.query({ query: 'SELECT DISTINCT tenant_id FROM tenant_usage_daily_local', format: 'JSONEachRow' })).json<{ tenant_id: string }>()).map((r) => r.tenant_id));
    const [a, b] = await Promise.all(shards.map(tenantsOn));
    expect([...a].filter((t) => b.has(t))).toEqual([]);
    expect(a.size + b.size).toBe(16);
  });

  it('counts a retried insert once: the same queued batch inserted twice lands twice on the same shards, and FINAL collapses it', async () => {
    const location = testLocation();
    const client = new Redis(redis.url);
    const prefix = testPrefix();
    const queue = new TelemetryQueue(client, prefix);
    try {
      await queue.ensureGroup();
      const parsed = parseEventBatch({ events: markedEvents(location, 1000, 300).map((e) => ({ ...e, at: new Date(now - 2 * DAY_MS).toISOString() })) }, Date.now());
      if (!parsed.ok) throw new Error(parsed.message);
      await queue.enqueue(parsed.rows, batchNonce(), 10_000);
      const { batches } = await queue.read('crashing-inserter', 10, 100);
      expect(batches).toHaveLength(1);
      const repository = onCluster.app.get(TelemetryRepository);
      await repository.insert(keyedRows(batches[0])); // …and the inserter dies before XACK
      const { batches: taken } = await queue.claim('successor', 0, '0-0', 10);
      await repository.insert(keyedRows(taken[0]));
      // One server gets the batch once (its FINAL would hide a second copy anyway).
      await onOne.app.get(TelemetryRepository).insert(keyedRows(batches[0]));
      posted += 300;
    } finally {
      client.disconnect();
    }
    const where = `location = '${location}'`;
    expect(await count(shards[0], `SELECT count() AS n FROM telemetry WHERE ${where}`)).toBe(600);
    expect(await count(shards[0], `SELECT count() AS n FROM telemetry FINAL WHERE ${where}`)).toBe(300);
    expect(await count(shards[1], `SELECT uniqExact(handshake_ms) AS n FROM telemetry FINAL WHERE ${where}`)).toBe(300);
    // Each shard holds both copies of its rows.
    const rows = await perShard(`SELECT count() AS n FROM telemetry_local WHERE ${where}`);
    const keys = await perShard(`SELECT uniqExact(row_key) AS n FROM telemetry_local WHERE ${where}`);
    expect(keys.every((n) => n > 0)).toBe(true);
    expect(rows).toEqual(keys.map((n) => 2 * n));
    expect(await perShard(`SELECT count() AS n FROM telemetry_local FINAL WHERE ${where}`)).toEqual(keys);
  });

  it('answers every panel exactly as one server does, through either shard', async () => {
    let shownRows = 0;
    let suppressed = 0;
    for (const panel of PANELS) {
      const [sharded, one] = [await stats(onCluster, panel), await stats(onOne, panel)];
      expect({ panel, status: sharded.status }).toEqual({ panel, status: 200 });
      expect(sharded.body).toEqual(one.body);
      expect((sharded.body.rows as unknown[]).length).toBeGreaterThan(0);
      shownRows += (sharded.body.rows as unknown[]).length;
      suppressed += (sharded.body.suppressed as { cells: number }).cells;
    }
    expect(shownRows).toBeGreaterThan(40);
    expect(suppressed).toBeGreaterThan(0);
    // The other shard's server answers the same SQL with the same cells.
    const b = { start: `toDateTime(${Math.floor((now - 7 * DAY_MS) / 1000)})`, end: `toDateTime(${Math.floor((now + DAY_MS) / 1000)})`, k: '10' };
    for (const panel of PANELS) {
      const [x, y] = await Promise.all(shards.map(async (ch) => (await ch.query({ query: allCellsSql(panel, b), format: 'JSONEachRow' })).json()));
      expect(x).toEqual(y);
    }
  });

  it('drops expired months on every shard (analytics.retention), and only those', async () => {
    const march2020 = Date.UTC(2020, 2, 10, 12) / 1000;
    const [ch] = shards;
    await insertTelemetry(ch, times(200, { hour: march2020, type: 'blocking' as const, mb_blocked: 1 }));
    await insertFleet(ch, locations.map((location, i) => ({ hour: march2020 + i * 3600, location, redemptions: 1 })));
    const old = `toYYYYMM(hour) = 202003`;
    expect((await perShard(`SELECT count() AS n FROM telemetry_local WHERE ${old}`)).every((n) => n > 0)).toBe(true);
    const before = await perShard('SELECT count() AS n FROM telemetry_local');

    const result = await onCluster.app.get(RetentionService).enforce();
    expect(result.tables).toEqual({ telemetry: { partitions: ['202003'], rows: 200 }, fleet_hourly: { partitions: ['202003'], rows: 3 } });
    expect(result.partitionsDropped).toBe(2);
    expect(result.rowsDropped).toBe(203);
    expect(await perShard(`SELECT count() AS n FROM system.parts WHERE database = currentDatabase() AND active AND partition_id = '202003'`)).toEqual([0, 0]);
    const after = await perShard('SELECT count() AS n FROM telemetry_local');
    const droppedPerShard = before.map((n, i) => n - after[i]);
    expect(droppedPerShard[0] + droppedPerShard[1]).toBe(200);
    expect(await count(ch, 'SELECT count() AS n FROM telemetry FINAL')).toBe(posted);
    // A second run finds nothing left.
    expect((await onCluster.app.get(RetentionService).enforce()).partitionsDropped).toBe(0);
  });

  it('with a shard down: stats 503 (never an answer without its rows), ingest 202 and retried; back up, every event once', async () => {
    const down = cluster.servers[1];
    await down.stop();
    try {
      const res = await stats(onCluster, 'connections');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'UNAVAILABLE' });
      const location = testLocation();
      const events = markedEvents(location, 5000, 400).map((e) => ({ ...e, at: new Date(now - DAY_MS).toISOString() }));
      expect((await postEvents(onCluster.base, { events })).status).toBe(202);
      const failures = async () => {
        const text = await (await fetch(`${onCluster.base}/metrics`)).text();
        return Number(/^analytics_insert_failures_total\{service="analytics-service"\} (\S+)$/m.exec(text)?.[1] ?? 0);
      };
      await until('a failed insert', async () => (await failures()) > 0, 15_000);
      await down.start();
      const where = `location = '${location}'`;
      await until('the batch on the cluster', async () => (await count(shards[0], `SELECT count() AS n FROM telemetry FINAL WHERE ${where}`)) === 400, 30_000);
      expect(await count(shards[0], `SELECT uniqExact(handshake_ms) AS n FROM telemetry FINAL WHERE ${where}`)).toBe(400);
      expect((await perShard(`SELECT count() AS n FROM telemetry_local WHERE ${where}`)).every((n) => n > 0)).toBe(true);
      expect((await stats(onCluster, 'connections')).status).toBe(200);
    } finally {
      await down.start();
    }
  });
});
