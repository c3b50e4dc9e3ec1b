// The privacy scans can fail: each one finds a value planted where the journeys scan (a real
// network database with its migrations, Redis values of every type, ClickHouse tables, a /metrics
// label, a log line)
// and finds nothing on the same data before the plant.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Counter, Registry } from 'prom-client';
import { WORKSPACE_ROOT } from '@phoenix/common/testing';
import { createTestDatabase } from '@phoenix/database';
import { addressNeedle, bytesNeedle, readableKeyPatterns, scanClickHouse, scanKeys, scanLog, scanMetrics, scanPostgres, scanRedis, textNeedle } from './privacy-scan';

const userId = randomUUID();
const email = `planted-${randomBytes(3).toString('hex')}@example.test`;
const CLIENT_UNDERLAY = '198.18.0.6';
const needles = [textNeedle('user id', userId), textNeedle('email', email), addressNeedle('client IPv4', '127.0.0.1'), addressNeedle('client IPv6', '::1'), addressNeedle('client underlay', CLIENT_UNDERLAY)];

describe('privacy scans find what is planted', () => {
  describe('in every row of every table of a network database (its real migrations, its own role)', () => {
    let db: { url: string; drop: () => Promise<void> } | undefined;
    let pg: Client;

    beforeAll(async () => {
      db = await createTestDatabase(process.env.PHOENIX_PG_ADMIN_URL!, process.env.NETWORK_DATABASE_URL!, 'scantest');
      execFileSync(process.execPath, ['-r', '@swc-node/register', path.join('apps', 'config-service', 'src', 'database', 'migrate.ts')], {
        cwd: WORKSPACE_ROOT,
        env: { ...process.env, NETWORK_DATABASE_URL: db.url },
        stdio: 'pipe',
        timeout: 60_000,
      });
      pg = new Client({ connectionString: db.url });
      await pg.connect();
    }, 90_000);
    afterAll(async () => {
      await pg?.end();
      await db?.drop();
    });

    it('finds nothing in clean rows, then a user id in a location row, the client underlay in a node row and ::1 in a lease row', async () => {
      const loc = `zz-scan${randomBytes(2).toString('hex')}`;
      await pg.query(`INSERT INTO location (id, country, city) VALUES ($1, 'ZZ', 'Clean city')`, [loc]);
      const {
        rows: [node],
      } = await pg.query<{ id: string }>(
        `INSERT INTO node (public_key, endpoint_host, endpoint_port, location_id, capacity, tunnel_cidr_v4, version, token_hash, pulse_interval_sec)
         VALUES ($1, '198.18.0.2', 51820, $2, 10, '100.64.0.0/16', 'test', '\\x00', 5) RETURNING id`,
        [randomBytes(32).toString('base64'), loc],
      );
      await pg.query(`INSERT INTO lease (node_id, public_key, ipv4, ipv6, expires_at) VALUES ($1, $2, '100.64.0.9', 'fd00:70:1::9', now() + interval '1 hour')`, [node!.id, randomBytes(32).toString('base64')]);

      const clean = await scanPostgres(db!.url, needles);
      expect(clean.tables).toEqual(expect.arrayContaining(['public.location', 'public.node', 'public.lease', 'public.migrations']));
      expect(clean.items).toBeGreaterThan(3);
      expect(clean.findings).toEqual([]);

      await pg.query(`UPDATE location SET city = $2 WHERE id = $1`, [loc, `Planted ${userId}`]);
      await pg.query(`UPDATE node SET endpoint_host = $2 WHERE id = $1`, [node!.id, CLIENT_UNDERLAY]);
      await pg.query(`UPDATE lease SET ipv6 = '::1' WHERE node_id = $1`, [node!.id]);
      const planted = await scanPostgres(db!.url, needles);
      expect(planted.findings.map((f) => [f.place.split(' ').pop(), f.what]).sort()).toEqual([
        ['public.lease', 'client IPv6'],
        ['public.location', 'user id'],
        ['public.node', 'client underlay'],
      ]);
    });
  });

  describe('in every Redis key and value under a pattern, of every type', () => {
    const prefix = `scantest${randomBytes(3).toString('hex')}:`;
    let redis: Redis;

    beforeAll(() => {
      redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    });
    afterAll(async () => {
      const keys = await scanKeys(redis, `${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });

    it('finds a planted value in a string, hash, set, zset, list, stream, binary value and key name', async () => {
      const token = randomBytes(48);
      await redis.set(`${prefix}clean`, 'nothing here');
      await redis.hset(`${prefix}clean-hash`, 'load', '12');
      expect((await scanRedis(redis, `${prefix}*`, needles)).findings).toEqual([]);

      await redis.set(`${prefix}string`, `{"user":"${userId}"}`);
      await redis.hset(`${prefix}hash`, 'peer', '127.0.0.1:51820');
      await redis.sadd(`${prefix}set`, 'a', email.toUpperCase());
      await redis.zadd(`${prefix}zset`, 1, `::1`);
      await redis.rpush(`${prefix}list`, 'x', `from ${CLIENT_UNDERLAY}`);
      await redis.xadd(`${prefix}stream`, '*', 'who', userId);
      await redis.set(`${prefix}binary`, Buffer.concat([randomBytes(8), token, randomBytes(8)]));
      await redis.set(`${prefix}key-${userId}`, '1');
      const report = await scanRedis(redis, `${prefix}*`, [...needles, bytesNeedle('token', token)]);
      expect(report.items).toBe(10);
      expect(report.findings.map((f) => [f.place.replace(prefix, ''), f.what]).sort()).toEqual([
        ['redis binary (string)', 'token'],
        ['redis hash (hash)', 'client IPv4'],
        [`redis key-${userId} (string)`, 'user id'],
        ['redis list (list)', 'client underlay'],
        ['redis set (set)', 'email'],
        ['redis stream (stream)', 'user id'],
        ['redis string (string)', 'user id'],
        ['redis zset (zset)', 'client IPv6'],
      ]);
    });
  });

  describe('in every label of a /metrics page', () => {
    let server: Server;
    let url = '';
    const registry = new Registry();
    const counter = new Counter({ name: 'scan_test_total', help: 'x', labelNames: ['route'], registers: [registry] });

    beforeAll(async () => {
      server = createServer((_req, res) => {
        void registry.metrics().then((m) => res.writeHead(200, { 'content-type': registry.contentType }).end(m));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
    });

    it('finds nothing in route templates, then a user id and an address that reached a label', async () => {
      counter.inc({ route: '/vpn/config' });
      const clean = await scanMetrics('test', url, needles);
      expect(clean.labels).toContainEqual(['scan_test_total', 'route', '/vpn/config']);
      expect(clean.findings).toEqual([]);
      counter.inc({ route: `/users/${userId}` });
      counter.inc({ route: '/from/[::1]' });
      const planted = await scanMetrics('test', url, needles);
      expect(planted.findings.map((f) => [f.place, f.what])).toEqual([
        ['metrics test scan_test_total{route}', 'user id'],
        ['metrics test scan_test_total{route}', 'client IPv6'],
      ]);
    });
  });

  describe('in every row of every ClickHouse table (a throwaway database on the stack\'s server)', () => {
    const url = process.env.CLICKHOUSE_URL!;
    const database = `scantest_${randomBytes(3).toString('hex')}`;
    const q = async (query: string) => {
      const res = await fetch(url, { method: 'POST', body: query });
      if (res.status !== 200) throw new Error(await res.text());
    };
    beforeAll(async () => {
      await q(`CREATE DATABASE ${database}`);
      await q(`CREATE TABLE ${database}.usage (day Date, tenant_id String, bytes UInt64) ENGINE = MergeTree ORDER BY (tenant_id, day)`);
      await q(`CREATE TABLE ${database}.events (at DateTime, location String) ENGINE = MergeTree ORDER BY at`);
    });
    afterAll(async () => {
      await q(`DROP DATABASE IF EXISTS ${database}`);
    });

    it('finds nothing in clean rows, then a user id in one table and an email in another', async () => {
      await q(`INSERT INTO ${database}.usage VALUES ('2026-11-30', 'tenant-a', 10)`);
      await q(`INSERT INTO ${database}.events VALUES ('2026-11-30 10:00:00', 'de-fra')`);
      const clean = await scanClickHouse(url, needles);
      expect(clean.tables).toEqual(expect.arrayContaining([`${database}.usage`, `${database}.events`]));
      expect(clean.tables.some((t) => t.startsWith('system.'))).toBe(false);
      expect(clean.findings.filter((f) => f.place.includes(database))).toEqual([]);
      await q(`INSERT INTO ${database}.usage VALUES ('2026-11-30', '${userId}', 10)`);
      await q(`INSERT INTO ${database}.events VALUES ('2026-11-30 11:00:00', '${email}')`);
      const planted = await scanClickHouse(url, needles);
      expect(planted.findings.filter((f) => f.place.includes(database)).map((f) => [f.place.split(' ').pop(), f.what]).sort()).toEqual([
        [`${database}.events`, 'email'],
        [`${database}.usage`, 'user id'],
      ]);
    });
  });

  it("reads each side's readable key patterns from the stack's Redis ACL", async () => {
    const admin = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    try {
      expect(await readableKeyPatterns(admin, 'phoenix_network')).toEqual(['network:*']);
      expect(await readableKeyPatterns(admin, 'phoenix_analytics')).toEqual(['analytics:*']);
      expect(await readableKeyPatterns(admin, 'phoenix_node')).toEqual([]);
      expect(await readableKeyPatterns(admin, 'default')).toEqual(['*']);
    } finally {
      admin.disconnect();
    }
  });

  it('in every line of a log', () => {
    const log = `{"msg":"listening"}\n{"msg":"hello ${email}"}\n`;
    expect(scanLog('svc', log, needles).findings.map((f) => [f.place, f.what])).toEqual([['log svc line 2', 'email']]);
  });
});
