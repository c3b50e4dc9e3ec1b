import { randomInt, randomUUID } from 'node:crypto';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { FleetReport, FleetReportRow, Patterns, TenantUsageReport, type RedisClient, loadConfig, redisClientOptions, redisTransportOptions } from '@phoenix/common';
import { CapturedLogs, captureServiceLogs, FakeClock, ThrowawayRedis, dropRedisPrefix, redisClusterTargets, sideRedisUrl, until } from '@phoenix/common/testing';
import { base64urlDecode, base64urlEncode } from '@phoenix/crypto';
import { CLICKHOUSE_UNKNOWN_TABLE, clickHouseErrorCode, createClickHouse, createRedis } from '@phoenix/database';
import Redis from 'ioredis';
import { lastValueFrom, timeout } from 'rxjs';
import { LocalIssuer, Registered, RunningApp, TestDb, addNode, createNetworkDb, env, getChallenge, mintToken, pulse, redeem, startApp, testEnv, uniquePrefix, wgPublicKey } from '../../test/support';
import { configShape } from '../config';
import { RedisKeys } from '../core/redis-keys';
import { FLEET_TOTALS_TTL_SEC, FleetCounters } from './fleet-counters.store';
import { FleetReporter, SentReports } from './fleet-reporter';
import { TenantUsageStore } from './tenant-usage.store';

const ROW_FIELDS = ['hour', 'location', 'redemptions', 'reused', 'noCapacity', 'invalid', 'loadSum', 'loadSamples'].sort();
const COUNTER = /^([a-z]{2}-[a-z0-9]{2,16}|auto):(redemptions|reused|noCapacity|invalid|loadSum|loadSamples)$/;

/**
 * A location id no other suite uses, letters only (no scan of stored data mistakes it for an id).
 * Reports of the suite reach any analytics-service listening on the stack's Redis: afterAll deletes
 * whatever one stored for these locations.
 */
const uniqueLocation = () => `zf-${Array.from({ length: 12 }, () => String.fromCharCode(97 + randomInt(26))).join('')}`;

/** Every fleet hash under `prefix` (admin connection: SCAN), summed per location across hours. */
async function totalsUnder(redis: Redis, prefix: string): Promise<{ keys: string[]; fields: Record<string, string>; byLocation: Map<string, Record<string, number>> }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}fleet:*`, 'COUNT', 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  keys.sort();
  const fields: Record<string, string> = {};
  const byLocation = new Map<string, Record<string, number>>();
  for (const key of keys) {
    for (const [field, value] of Object.entries(await redis.hgetall(key))) {
      fields[`${key}|${field}`] = value;
      const [location, counter] = field.split(':') as [string, string];
      const row = byLocation.get(location) ?? {};
      row[counter] = (row[counter] ?? 0) + Number(value);
      byLocation.set(location, row);
    }
  }
  return { keys, fields, byLocation };
}

/**
 * Deletes from `table` of the stack's ClickHouse what an analytics-service running beside the suite
 * may have stored. No such table (a stack whose analytics schema was never applied): nothing was stored.
 */
async function forgetStored(table: string, column: string, values: string[]): Promise<void> {
  const ch = createClickHouse(env('CLICKHOUSE_URL'));
  try {
    await ch.command({ query: `ALTER TABLE ${table} DELETE WHERE ${column} IN (${values.map((v) => `'${v}'`).join(', ')})` });
  } catch (e) {
    if (clickHouseErrorCode(e) !== CLICKHOUSE_UNKNOWN_TABLE) throw e;
  } finally {
    await ch.close();
  }
}
const forgetUsage = (tenants: string[]) => forgetStored('tenant_usage_daily', 'tenant_id', tenants);
const forgetReports = (locations: string[]) => forgetStored('fleet_hourly', 'location', locations);

describe('fleet totals: redemption outcomes and node load per location and hour, shared by replicas, reported to analytics', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let a: RunningApp;
  let b: RunningApp;
  let redis: Redis;
  let listener: Redis;
  let reports: FleetReport[];
  let node: Registered;
  let bClosed = false;
  const prefix = uniquePrefix();
  const full = uniqueLocation();
  const empty = uniqueLocation();
  const secrets: string[] = [];

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    // Two replicas on one database and one Redis namespace.
    a = await startApp(testEnv(db, issuer, { REDIS_KEY_PREFIX: prefix }));
    b = await startApp(testEnv(db, issuer, { REDIS_KEY_PREFIX: prefix }));
    // Both on the Redis transport, where job-worker's commands arrive.
    for (const r of [a, b]) {
      r.app.connectMicroservice(redisTransportOptions(r.config.REDIS_URL), { inheritAppConfig: true });
      await r.app.startAllMicroservices();
    }
    redis = new Redis(env('REDIS_URL'));
    // Hears the reports as analytics-service does: its side's Redis user.
    listener = new Redis(sideRedisUrl('analytics-service'));
    reports = [];
    await listener.subscribe(Patterns.ANALYTICS_FLEET_REPORT);
    listener.on('message', (_c: string, m: string) => reports.push((JSON.parse(m) as { data: FleetReport }).data));
    for (const id of [full, empty]) {
      const res = await fetch(`${a.base}/admin/locations/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${a.config.ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ country: 'ZZ', city: 'Fleet test' }),
      });
      expect(res.status).toBe(201);
    }
    node = await addNode(a.base, a.config, { location: full, capacity: 10 }); // pulses load 10
    secrets.push(node.id, node.nodeToken, node.publicKey);
  });

  afterAll(async () => {
    listener?.disconnect();
    redis?.disconnect();
    await a?.close();
    if (!bClosed) await b?.close();
    await dropRedisPrefix(prefix);
    await forgetReports([full, empty]);
    await issuer?.close();
    await db?.drop();
  });

  it('counts each outcome and pulse once, on whichever replica, into the same totals; nothing in them names a node, token or key', async () => {
    const challenge = await getChallenge(a.base);
    const mint = () => {
      const t = mintToken(issuer.current, challenge);
      secrets.push(t);
      return t;
    };
    const publicKey = () => {
      const k = wgPublicKey();
      secrets.push(k);
      return k;
    };
    const status = async (res: Promise<Response>) => (await res).status;

    const once = mint();
    expect(await status(redeem(a.base, once, { location: full, publicKey: publicKey() }))).toBe(200);
    expect(await status(redeem(b.base, once, { location: full, publicKey: publicKey() }))).toBe(409);
    expect(await status(redeem(b.base, mint(), { location: 'auto', publicKey: publicKey() }))).toBe(200);
    expect(await status(redeem(a.base, mint(), { location: empty, publicKey: publicKey() }))).toBe(503);
    const spoiled = base64urlDecode(mint());
    spoiled[spoiled.length - 1] ^= 0xff;
    expect(await status(redeem(b.base, base64urlEncode(spoiled), { location: full, publicKey: publicKey() }))).toBe(401);
    // A location that does not exist: counted as `auto`, never under the made-up id.
    expect(await status(redeem(a.base, base64urlEncode(spoiled), { location: 'zz-madeup', publicKey: publicKey() }))).toBe(401);
    expect(await status(redeem(a.base, base64urlEncode(spoiled.subarray(0, 100)), { location: full, publicKey: publicKey() }))).toBe(400);
    // Not a redemption outcome: bad input besides the token, and unknown locations with a good token.
    expect(await status(redeem(a.base, mint(), { location: full, publicKey: 'not-a-key' }))).toBe(400);
    expect(await status(redeem(a.base, mint(), { location: 'zz-madeup', publicKey: publicKey() }))).toBe(404);

    expect((await pulse(a.base, node, { load: 30, peers: 1, healthy: true })).status).toBe(200);
    expect((await pulse(b.base, node, { load: 50.5, peers: 2, healthy: true })).status).toBe(200);

    const expected = {
      [full]: { redemptions: 2, reused: 1, invalid: 2, loadSum: 90.5, loadSamples: 3 },
      [empty]: { noCapacity: 1 },
      auto: { invalid: 1 },
    };
    const counted = (t: Awaited<ReturnType<typeof totalsUnder>>) => Object.fromEntries([...t.byLocation].sort(([x], [y]) => x.localeCompare(y)));
    const t = await until('the counts to land', 10_000, async () => {
      const now = await totalsUnder(redis, prefix);
      try {
        expect(counted(now)).toEqual(expected);
        return now;
      } catch {
        return undefined;
      }
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(counted(await totalsUnder(redis, prefix)))}`);
    });

    // One key per hour, one field per location and counter: a time, a location, a number.
    for (const key of t.keys) {
      expect(key).toMatch(new RegExp(`^${prefix}fleet:\\{totals\\}:\\d{4}-\\d{2}-\\d{2}T\\d{2}$`));
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(FLEET_TOTALS_TTL_SEC - 60);
      expect(ttl).toBeLessThanOrEqual(FLEET_TOTALS_TTL_SEC);
    }
    for (const [name, value] of Object.entries(t.fields)) {
      expect(name.split('|')[1]).toMatch(COUNTER);
      expect(value).toMatch(/^\d+(\.\d+)?$/);
    }
    const dump = JSON.stringify(t);
    for (const s of secrets) expect(dump).not.toContain(s);
  });

  it('reports the current and previous hour as FleetReportRow fields only, and reports when job-worker’s network.fleet.report command asks', async () => {
    const before = Date.now();
    const report = (await a.app.get(FleetReporter).report()).fleet;
    expect(report).not.toBeNull();
    const sent = report as FleetReport;
    expect(Object.keys(sent).sort()).toEqual(['rows', 'version']);
    expect(sent.version).toBeGreaterThanOrEqual(before);
    expect(sent.version).toBeLessThanOrEqual(Date.now());
    const mine = sent.rows.filter((r) => [full, empty, 'auto'].includes(r.location));
    expect(mine.length).toBeGreaterThanOrEqual(3);
    const sum = (loc: string, k: keyof FleetReportRow) => mine.filter((r) => r.location === loc).reduce((n, r) => n + Number(r[k]), 0);
    expect([sum(full, 'redemptions'), sum(full, 'reused'), sum(full, 'invalid'), sum(full, 'loadSum'), sum(full, 'loadSamples')]).toEqual([2, 1, 2, 90.5, 3]);
    expect([sum(empty, 'noCapacity'), sum('auto', 'invalid')]).toEqual([1, 1]);

    // What went over the wire is exactly that report (the pattern's `data`), nothing more.
    const heard = await until('the report on the channel', 5000, () => reports.find((r) => r.version === sent.version && JSON.stringify(r) === JSON.stringify(sent)));
    for (const row of heard.rows) {
      expect(Object.keys(row).sort()).toEqual(ROW_FIELDS);
      expect(row.hour).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
      expect(row.location).toMatch(/^([a-z]{2}-[a-z0-9]{2,16}|auto)$/);
    }
    const wire = JSON.stringify(reports);
    for (const s of secrets) expect(wire).not.toContain(s);

    const heardBefore = reports.length;

    // job-worker's command (as its Redis user) reaches both replicas; each reports the same shared totals.
    const jobs = ClientProxyFactory.create(redisClientOptions('fleet-spec-jobs', sideRedisUrl('job-worker')) as never) as unknown as ClientProxy;
    try {
      const period = new Date().toISOString();
      const reply = await lastValueFrom(
        jobs.send<{ fleetRows: number; tenantUsageRows: number }>(Patterns.FLEET_REPORT, { schedule: Patterns.FLEET_REPORT, period, idempotencyKey: `${Patterns.FLEET_REPORT}@${period}` }).pipe(timeout(10_000)),
      );
      // The first reply wins, and any config-service on the stack's Redis may give it: just its shape here.
      expect(Object.keys(reply).sort()).toEqual(['fleetRows', 'tenantUsageRows']);
      const fromCommand = await until('reports from both replicas', 5000, () => {
        const heard = reports.slice(heardBefore).filter((r) => Array.isArray(r?.rows) && r.rows.some((row) => row.location === full));
        return heard.length >= 2 ? heard : undefined;
      });
      for (const r of fromCommand) expect(r.rows.filter((row) => row.location === full).reduce((n, row) => n + row.redemptions, 0)).toBe(2);
    } finally {
      await jobs.close();
    }
    await b.close();
    bClosed = true;
  });
});

describe('FleetReporter on a driven clock: which hours a report carries', () => {
  const prefix = uniquePrefix();
  const loc = uniqueLocation();
  const clock = new FakeClock(Date.parse('2030-01-01T10:59:59.999Z'));
  const config = loadConfig(configShape, {
    NETWORK_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/unused',
    REDIS_URL: sideRedisUrl('config-service'),
    ISSUER_DIRECTORY_URL: 'http://127.0.0.1:1/unused',
    REDIS_KEY_PREFIX: prefix,
  });
  let redis: RedisClient;
  let client: ClientProxy;
  let counters: FleetCounters;
  let reporter: FleetReporter;

  beforeAll(async () => {
    redis = createRedis(config.REDIS_URL, 'fleet-spec', { enableOfflineQueue: true });
    client = ClientProxyFactory.create(redisClientOptions('fleet-spec', config.REDIS_URL) as never) as unknown as ClientProxy;
    counters = new FleetCounters(redis, new RedisKeys(prefix), clock);
    reporter = new FleetReporter(counters, new TenantUsageStore(redis, new RedisKeys(prefix), clock), client, clock);
  });

  afterAll(async () => {
    await client?.close();
    redis?.disconnect();
    await dropRedisPrefix(prefix);
    await forgetReports([loc]);
  });

  const rowsOf = (r: SentReports) => (r.fleet?.rows ?? []).filter((row) => row.location === loc);

  it('counts into the hour of the clock, and reports this hour and the one before until the next begins', async () => {
    counters.redemption('success', loc);
    counters.redemption('success', loc);
    clock.t = Date.parse('2030-01-01T11:00:00.000Z');
    counters.redemption('reused', loc);
    counters.load(loc, 40);
    await until('the counts', 5000, async () => ((await redis.hget(`${prefix}fleet:{totals}:2030-01-01T11`, `${loc}:loadSamples`)) === '1' && (await redis.hget(`${prefix}fleet:{totals}:2030-01-01T10`, `${loc}:redemptions`)) === '2' ? true : undefined));

    clock.t = Date.parse('2030-01-01T11:00:30.000Z');
    const first = await reporter.report();
    expect(first.fleet?.version).toBe(clock.t);
    expect(rowsOf(first)).toEqual([
      { hour: '2030-01-01T10:00:00.000Z', location: loc, redemptions: 2, reused: 0, noCapacity: 0, invalid: 0, loadSum: 0, loadSamples: 0 },
      { hour: '2030-01-01T11:00:00.000Z', location: loc, redemptions: 0, reused: 1, noCapacity: 0, invalid: 0, loadSum: 40, loadSamples: 1 },
    ]);

    clock.t = Date.parse('2030-01-01T12:00:00.000Z');
    const second = await reporter.report();
    expect(second.fleet?.version).toBe(clock.t);
    expect(rowsOf(second)).toEqual([{ hour: '2030-01-01T11:00:00.000Z', location: loc, redemptions: 0, reused: 1, noCapacity: 0, invalid: 0, loadSum: 40, loadSamples: 1 }]);

    clock.t = Date.parse('2030-01-01T13:00:00.000Z');
    expect((await reporter.report()).fleet).toBeNull();
  });
});

describe('FleetReporter on a driven clock: tenant usage of the current and previous UTC day, and older days that changed', () => {
  const prefix = uniquePrefix();
  const clock = new FakeClock(Date.parse('2030-01-03T00:10:00.000Z'));
  const tenant = randomUUID();
  let redis: RedisClient;
  let client: ClientProxy;
  let listener: Redis;
  let heard: TenantUsageReport[];
  let usage: TenantUsageStore;
  let reporter: FleetReporter;

  beforeAll(async () => {
    redis = createRedis(sideRedisUrl('config-service'), 'usage-report-spec', { enableOfflineQueue: true });
    client = ClientProxyFactory.create(redisClientOptions('usage-report-spec', sideRedisUrl('config-service')) as never) as unknown as ClientProxy;
    const keys = new RedisKeys(prefix);
    usage = new TenantUsageStore(redis, keys, clock);
    reporter = new FleetReporter(new FleetCounters(redis, keys, clock), usage, client, clock);
    // Hears the reports as analytics-service does: its side's Redis user.
    listener = new Redis(sideRedisUrl('analytics-service'));
    heard = [];
    await listener.subscribe(Patterns.ANALYTICS_TENANT_USAGE);
    listener.on('message', (_c: string, m: string) => heard.push((JSON.parse(m) as { data: TenantUsageReport }).data));
  });

  afterAll(async () => {
    listener?.disconnect();
    await client?.close();
    redis?.disconnect();
    await dropRedisPrefix(prefix);
    await forgetUsage([tenant]);
  });

  const mine = (r: TenantUsageReport | null) => (r?.rows ?? []).filter((row) => row.tenantId === tenant);

  it('sends each tenant row with every counter, the read time as version; an older day goes out again only when it changed', async () => {
    usage.connection(tenant, new Date('2030-01-02T23:00:00.000Z'));
    usage.connection(tenant, new Date('2030-01-03T00:05:00.000Z'));
    usage.bytes(tenant, 123_456, new Date('2030-01-03T00:06:00.000Z'));
    // A lease from Dec 31 that ended now: seconds for four days, the two oldest outside the window.
    usage.held(tenant, new Date('2029-12-31T23:00:00.000Z'), new Date('2030-01-03T00:10:00.000Z'));
    const first = await until('the report', 5000, async () => {
      const r = (await reporter.report()).usage;
      return mine(r).length === 4 ? r : undefined;
    });
    expect(first?.version).toBe(clock.t);
    expect(mine(first)).toEqual([
      { day: '2029-12-31', tenantId: tenant, connections: 0, connectionSeconds: 3600, bytes: 0 },
      { day: '2030-01-01', tenantId: tenant, connections: 0, connectionSeconds: 86_400, bytes: 0 },
      { day: '2030-01-02', tenantId: tenant, connections: 1, connectionSeconds: 86_400, bytes: 0 },
      { day: '2030-01-03', tenantId: tenant, connections: 1, connectionSeconds: 600, bytes: 123_456 },
    ]);
    const wire = await until('the report on the channel', 5000, () => heard.find((r) => r.version === first?.version && mine(r).length === 4));
    for (const row of wire.rows) expect(Object.keys(row).sort()).toEqual(['bytes', 'connectionSeconds', 'connections', 'day', 'tenantId']);

    clock.t += 60_000;
    expect(mine((await reporter.report()).usage).map((r) => r.day)).toEqual(['2030-01-02', '2030-01-03']);
  });
});

// On the stack's Redis Cluster (root README "Redis Cluster"): every hour's hash shares the
// {totals} tag, so the read of several hours stays one MULTI in one slot.
describe.each(redisClusterTargets())('FleetCounters on the Redis $name', ({ sideUrl, adminUrl }) => {
  const prefix = uniquePrefix();
  const loc = uniqueLocation();
  const clock = new FakeClock(Date.parse('2030-01-01T10:30:00.000Z'));
  let redis: RedisClient;

  afterAll(async () => {
    redis?.disconnect();
    await dropRedisPrefix(prefix, adminUrl);
  });

  it('counts into each hour and reads two hours in one transaction', async () => {
    redis = createRedis(sideUrl('config-service'), 'fleet-cluster-spec', { enableOfflineQueue: true });
    const counters = new FleetCounters(redis, new RedisKeys(prefix), clock);
    counters.redemption('success', loc);
    clock.t = Date.parse('2030-01-01T11:10:00.000Z');
    counters.redemption('reused', loc);
    counters.load(loc, 30);
    const hours = [Date.parse('2030-01-01T10:00:00.000Z'), Date.parse('2030-01-01T11:00:00.000Z')];
    const rows = await until('the counts', 5000, async () => {
      const mine = (await counters.read(hours)).filter((r) => r.location === loc);
      return mine.length === 2 && mine[1]!.loadSamples === 1 ? mine : undefined;
    });
    expect(rows).toEqual([
      { hour: '2030-01-01T10:00:00.000Z', location: loc, redemptions: 1, reused: 0, noCapacity: 0, invalid: 0, loadSum: 0, loadSamples: 0 },
      { hour: '2030-01-01T11:00:00.000Z', location: loc, redemptions: 0, reused: 1, noCapacity: 0, invalid: 0, loadSum: 30, loadSamples: 1 },
    ]);
  });
});

describe('FleetCounters while Redis is down: counting never fails its caller', () => {
  let server: ThrowawayRedis;
  let redis: RedisClient;
  let logs: CapturedLogs;
  const lines = () => logs.lines();

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    logs = captureServiceLogs('config-service');
    redis = createRedis(server.url, 'fleet-down-spec');
    await until('Redis', 5000, () => (redis.status === 'ready' ? true : undefined));
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.dispose();
    logs?.restore();
  });

  it('returns at once, logs the outage once through the outage log, and counts again once Redis is back', async () => {
    const counters = new FleetCounters(redis, new RedisKeys('network:'), new FakeClock(Date.parse('2030-01-01T10:00:00.000Z')));
    counters.redemption('success', 'de-fra');
    const hour = [Date.parse('2030-01-01T10:00:00.000Z')];
    await until('the first count', 5000, async () => ((await counters.read(hour))[0]?.redemptions === 1 ? true : undefined));

    await server.stop('SIGKILL');
    for (let i = 0; i < 20; i++) {
      expect(counters.redemption('success', 'de-fra')).toBeUndefined();
      expect(counters.load('de-fra', 50)).toBeUndefined();
    }
    await until('the outage line', 5000, () => lines().find((l) => l.msg === 'Redis unavailable' && l.connection === 'fleet-counters'));

    await server.start();
    await until('Redis again', 10_000, () => (redis.status === 'ready' ? true : undefined));
    counters.redemption('success', 'de-fra');
    // The server came back empty (no persistence): the one count after the outage is all there is.
    await until('a count after the outage', 5000, async () => ((await counters.read(hour).catch(() => []))[0]?.redemptions === 1 ? true : undefined));
    await until('the recovery line', 5000, () => lines().find((l) => l.msg === 'Redis available again' && l.connection === 'fleet-counters'));
    expect(lines().filter((l) => l.connection === 'fleet-counters' && l.msg === 'Redis unavailable')).toHaveLength(1);
    expect(logs.text()).not.toContain('127.0.0.1');
  }, 30_000);
});

describe('FleetCounters gathers counts in memory and writes them together', () => {
  const prefix = uniquePrefix();
  const loc = uniqueLocation();
  let redis: RedisClient;

  afterAll(async () => {
    redis?.disconnect();
    await dropRedisPrefix(prefix);
  });

  it('writes nothing during the calls, then every count of a burst in one flush, and a read includes the counts made before it', async () => {
    redis = createRedis(sideRedisUrl('config-service'), 'fleet-flush-spec', { enableOfflineQueue: true });
    const counters = new FleetCounters(redis, new RedisKeys(prefix), new FakeClock(Date.parse('2030-01-01T10:30:00.000Z')));
    const key = `${prefix}fleet:{totals}:2030-01-01T10`;
    for (let i = 0; i < 200; i++) counters.redemption('success', loc);
    for (let i = 0; i < 50; i++) counters.load(loc, 20);
    // Still in memory: the burst costs no Redis round trip per call.
    expect(await redis.exists(key)).toBe(0);
    await counters.flush();
    expect(await redis.hgetall(key)).toEqual({ [`${loc}:redemptions`]: '200', [`${loc}:loadSum`]: '1000', [`${loc}:loadSamples`]: '50' });
    expect(await redis.ttl(key)).toBeGreaterThan(FLEET_TOTALS_TTL_SEC - 60);

    counters.redemption('noCapacity', loc);
    const [row] = (await counters.read([Date.parse('2030-01-01T10:00:00.000Z')])).filter((r) => r.location === loc);
    expect(row).toMatchObject({ redemptions: 200, noCapacity: 1, loadSum: 1000, loadSamples: 50 });
  });

  it('writes one transaction at a time: the counts of every turn while one is under way go out together right after it', async () => {
    const counters = new FleetCounters(redis, new RedisKeys(prefix), new FakeClock(Date.parse('2030-01-01T11:30:00.000Z')));
    const key = `${prefix}fleet:{totals}:2030-01-01T11`;
    // Each transaction's EXEC waits for the gate: a write under way for as long as the test says.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const multi = redis.multi.bind(redis);
    const transactions = jest.spyOn(redis, 'multi').mockImplementation(((...args: Parameters<typeof redis.multi>) => {
      const tx = multi(...args);
      const exec = tx.exec.bind(tx);
      tx.exec = (() => gate.then(() => exec())) as typeof tx.exec;
      return tx;
    }) as typeof redis.multi);
    try {
      counters.redemption('success', loc);
      await new Promise((r) => setImmediate(r));
      expect(transactions).toHaveBeenCalledTimes(1);
      // Ten turns of counts while the first write is held: no transaction of their own.
      for (let turn = 0; turn < 10; turn++) {
        counters.redemption('success', loc);
        await new Promise((r) => setImmediate(r));
      }
      expect(transactions).toHaveBeenCalledTimes(1);
      open();
      await counters.flush();
      expect(transactions).toHaveBeenCalledTimes(2);
      expect(await redis.hget(key, `${loc}:redemptions`)).toBe('11');
    } finally {
      transactions.mockRestore();
    }
  });
});
