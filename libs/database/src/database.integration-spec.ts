import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { createClickHouse, runClickHouseMigrations } from './clickhouse';
import { createPostgresDataSource, createTestDatabase, preparedQuery, runMigrations, withDatabase } from './postgres';
import { postgresReadiness } from './readiness';
import { randomUUID } from 'node:crypto';
import { channelListeners, isRedisCluster } from '@phoenix/common';
import { redisClusterTargets } from '@phoenix/common/testing';
import { dependencyFailure } from './dependency-failure';
import { createRedis, waitForRedis } from './redis';
import { acquireRedisLock } from './redis-lock';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: is the local stack running?`);
  return v;
};

async function canConnect(url: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const ds = new DataSource({ type: 'postgres', url, connectTimeoutMS: 3000 });
  try {
    await ds.initialize();
    await ds.query('SELECT 1');
    return { ok: true };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

describe('privacy invariant 1: Postgres grants separate the two sides', () => {
  const identityUrl = () => env('IDENTITY_DATABASE_URL');
  const networkUrl = () => env('NETWORK_DATABASE_URL');

  it('lets each side connect to its own database', async () => {
    expect(await canConnect(identityUrl())).toEqual({ ok: true });
    expect(await canConnect(networkUrl())).toEqual({ ok: true });
  });

  it('refuses the network role a connection to the identity database', async () => {
    const identityDb = new URL(identityUrl()).pathname.slice(1);
    const result = await canConnect(withDatabase(networkUrl(), identityDb));
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.message).toMatch(/permission denied for database|does not have CONNECT privilege/);
  });

  it('refuses the identity role a connection to the network database', async () => {
    const networkDb = new URL(networkUrl()).pathname.slice(1);
    const result = await canConnect(withDatabase(identityUrl(), networkDb));
    expect(result.ok).toBe(false);
  });

  it('gives a throwaway suite database the same isolation', async () => {
    const db = await createTestDatabase(env('PHOENIX_PG_ADMIN_URL'), identityUrl());
    try {
      expect(await canConnect(db.url)).toEqual({ ok: true });
      expect((await canConnect(withDatabase(networkUrl(), db.name))).ok).toBe(false);
    } finally {
      await db.drop();
    }
  });
});

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE widget (id serial PRIMARY KEY, label text NOT NULL)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE widget`);
  }
}

describe('Postgres migrations', () => {
  it('applies pending migrations once, records them, and reverts', async () => {
    const db = await createTestDatabase(env('PHOENIX_PG_ADMIN_URL'), env('NETWORK_DATABASE_URL'));
    const ds = createPostgresDataSource({ url: db.url, side: 'network', entities: [], migrations: [CreateWidgets1700000000000] });
    try {
      await ds.initialize();
      expect(ds.options.synchronize).toBe(false);
      expect(await runMigrations(ds)).toEqual(['CreateWidgets1700000000000']);
      expect(await runMigrations(ds)).toEqual([]);
      await ds.query(`INSERT INTO widget (label) VALUES ('a')`);
      expect(await ds.query(`SELECT name FROM migrations`)).toEqual([{ name: 'CreateWidgets1700000000000' }]);
      await ds.undoLastMigration();
      expect(await ds.query(`SELECT to_regclass('widget') AS t`)).toEqual([{ t: null }]);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });
});

describe('preparedQuery', () => {
  it('runs a named statement on the pool, prepared once per connection, failing as ds.query does', async () => {
    const db = await createTestDatabase(env('PHOENIX_PG_ADMIN_URL'), env('NETWORK_DATABASE_URL'));
    const ds = createPostgresDataSource({ url: db.url, side: 'network', entities: [], migrations: [], poolSize: 1 });
    try {
      // Not connected yet: a database failure (503), as ds.query's.
      expect(dependencyFailure(await preparedQuery(ds, 'spec_before_init', 'SELECT 1', []).catch((e: unknown) => e))).toBe('database');
      await ds.initialize();
      const text = `SELECT $1::int + 1 AS n, $2::text AS label`;
      expect(await preparedQuery(ds, 'spec_add_one', text, [41, 'a'])).toEqual([{ n: 42, label: 'a' }]);
      expect(await preparedQuery(ds, 'spec_add_one', text, [1, 'b'])).toEqual([{ n: 2, label: 'b' }]);
      // Prepared on the pool's one connection, under its name, once.
      expect(await ds.query(`SELECT name, statement FROM pg_prepared_statements WHERE name = 'spec_add_one'`)).toEqual([{ name: 'spec_add_one', statement: text }]);
      // A failure carries the SQLSTATE where TypeORM puts it (driverError.code) and on the error itself.
      const failed = await preparedQuery(ds, 'spec_div', `SELECT 1 / $1::int AS x`, [0]).catch((e: unknown) => e);
      expect(failed).toMatchObject({ name: 'QueryFailedError', code: '22012', driverError: { code: '22012' } });
      expect(dependencyFailure(failed)).toBeUndefined();
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });
});

describe('Postgres readiness', () => {
  it('is down until every shipped migration is applied, then up', async () => {
    const db = await createTestDatabase(env('PHOENIX_PG_ADMIN_URL'), env('NETWORK_DATABASE_URL'));
    const ds = createPostgresDataSource({ url: db.url, side: 'network', entities: [], migrations: [CreateWidgets1700000000000] });
    const check = postgresReadiness('network-db', ds);
    try {
      await expect(check.check()).rejects.toThrow('not connected');
      await ds.initialize();
      // No migrations table at all yet.
      await expect(check.check()).rejects.toThrow('schema behind: 1 migration(s) not applied (CreateWidgets1700000000000)');
      await runMigrations(ds);
      await expect(check.check()).resolves.toBeUndefined();
      await ds.undoLastMigration();
      // The table exists, the migration is not in it.
      await expect(check.check()).rejects.toThrow('schema behind');
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });
});

describe('Redis client', () => {
  it('answers when Redis is up', async () => {
    const redis = createRedis(env('REDIS_URL'), 'db-spec');
    try {
      await waitForRedis(redis);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('fails fast instead of queueing when Redis is unreachable', async () => {
    // A loopback port nothing listens on: the command must reject at once, not wait for Redis.
    const redis = createRedis('redis://127.0.0.1:1', 'db-spec-down');
    const started = Date.now();
    try {
      await expect(redis.set('k', 'v')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      redis.disconnect();
    }
  });
});

// The same clients on the stack's Redis Cluster (README "Redis Cluster"): createRedis makes an
// ioredis Cluster of a redis+cluster:// URL, with the same fail-fast options.
describe.each(redisClusterTargets())('Redis client on the Redis $name', ({ sideUrl }) => {
  it('answers, takes and releases a lock, and counts listeners on every node', async () => {
    const redis = createRedis(sideUrl('job-worker'), 'db-spec-cluster');
    const sub = createRedis(sideUrl('job-worker'), 'db-spec-cluster-sub', { enableOfflineQueue: true });
    try {
      await waitForRedis(redis);
      expect(isRedisCluster(redis)).toBe(true);
      expect(await redis.ping()).toBe('PONG');
      const key = `jobs:{db-spec-${randomUUID()}}:lock`;
      const release = await acquireRedisLock(redis, key, 10_000);
      expect(release).not.toBeNull();
      expect(await acquireRedisLock(redis, key, 10_000)).toBeNull();
      await release!();
      expect(await redis.exists(key)).toBe(0);
      const channel = `platform.db-spec-${randomUUID()}`;
      expect(await channelListeners(redis, channel)).toBe(0);
      await sub.subscribe(channel);
      expect(await channelListeners(redis, channel)).toBe(1);
    } finally {
      redis.disconnect();
      sub.disconnect();
    }
  });

  it('fails fast, with a dependency failure (503), when no node of the cluster answers', async () => {
    const redis = createRedis('redis+cluster://127.0.0.1:1,127.0.0.1:2', 'db-spec-cluster-down');
    const started = Date.now();
    try {
      const e = await redis.set('k', 'v').then(
        () => null,
        (err: unknown) => err,
      );
      expect(dependencyFailure(e)).toBe('redis');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      redis.disconnect();
    }
  });
});

describe('ClickHouse migrations', () => {
  it('applies numbered .sql files once, in order, on the stack ClickHouse', async () => {
    const admin = createClickHouse(env('CLICKHOUSE_URL'));
    const database = `test_${Date.now().toString(36)}`;
    await admin.command({ query: `CREATE DATABASE ${database}` });
    const ch = createClickHouse(env('CLICKHOUSE_URL'), database);
    const dir = mkdtempSync(path.join(tmpdir(), 'chm-'));
    writeFileSync(path.join(dir, '001_events.sql'), 'CREATE TABLE IF NOT EXISTS e (hour DateTime, type String) ENGINE = MergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (type, hour);');
    writeFileSync(path.join(dir, '002_more.sql'), 'CREATE TABLE IF NOT EXISTS f (x UInt8) ENGINE = MergeTree() ORDER BY x;\nINSERT INTO f VALUES (7);');
    try {
      expect(await runClickHouseMigrations(ch, dir)).toEqual(['1_events', '2_more']);
      expect(await runClickHouseMigrations(ch, dir)).toEqual([]);
      const rows = await (await ch.query({ query: 'SELECT x FROM f', format: 'JSONEachRow' })).json<{ x: number }>();
      expect(rows).toEqual([{ x: 7 }]);
    } finally {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await ch.close();
      await admin.close();
    }
  });
});
