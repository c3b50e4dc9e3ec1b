import { Cluster } from 'ioredis';
import { isRedisCluster, newRedisClient } from './redis-client';
import { isRedisClusterUrl, parseRedisUrl } from './redis-url';
import { env, loadConfig } from '../config/env';

describe('parseRedisUrl', () => {
  it('leaves a single server URL to ioredis', () => {
    expect(parseRedisUrl('redis://u:p@127.0.0.1:6379')).toEqual({ kind: 'server', url: 'redis://u:p@127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://redis.example:6380/2')).toEqual({ kind: 'server', url: 'rediss://redis.example:6380/2' });
  });

  it('reads a cluster URL: every seed node, the user and the password (percent-decoded), TLS by scheme', () => {
    expect(parseRedisUrl('redis+cluster://phoenix_network:p%40ss%3Aw@127.0.0.1:56381,127.0.0.1:56382,[::1]:56383')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 56381 },
        { host: '127.0.0.1', port: 56382 },
        { host: '::1', port: 56383 },
      ],
      username: 'phoenix_network',
      password: 'p@ss:w',
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://redis-0.redis:6379/')).toEqual({ kind: 'cluster', nodes: [{ host: 'redis-0.redis', port: 6379 }], tls: true });
    expect(parseRedisUrl('redis+cluster://:secret@h:1')).toMatchObject({ password: 'secret' });
    expect(parseRedisUrl('redis+cluster://:secret@h:1')).not.toHaveProperty('username');
  });

  it.each([
    ['a node without a port', 'redis+cluster://u:p@127.0.0.1'],
    ['a port out of range', 'redis+cluster://127.0.0.1:70000'],
    ['an empty node', 'redis+cluster://127.0.0.1:1,,127.0.0.1:2'],
    ['a database (a cluster has db 0 only)', 'redis+cluster://127.0.0.1:1/3'],
    ['a query', 'redis+cluster://127.0.0.1:1?tls=1'],
    ['another scheme', 'http://127.0.0.1:6379'],
    ['no URL', 'localhost:6379'],
  ])('refuses %s, without echoing the URL', (_what, url) => {
    expect(() => parseRedisUrl(url)).toThrow();
    try {
      parseRedisUrl(url);
    } catch (e) {
      expect((e as Error).message).not.toContain('127.0.0.1');
    }
  });

  it('tells a cluster URL by its scheme', () => {
    expect(isRedisClusterUrl('redis+cluster://h:1')).toBe(true);
    expect(isRedisClusterUrl('REDISS+CLUSTER://h:1')).toBe(true);
    expect(isRedisClusterUrl('redis://h:1')).toBe(false);
  });

  it('is what env.redisUrl() accepts', () => {
    const shape = { REDIS_URL: env.redisUrl() };
    expect(loadConfig(shape, { REDIS_URL: 'redis+cluster://u:p@127.0.0.1:1,127.0.0.1:2' }).REDIS_URL).toBe('redis+cluster://u:p@127.0.0.1:1,127.0.0.1:2');
    expect(loadConfig(shape, { REDIS_URL: 'rediss://127.0.0.1:1' }).REDIS_URL).toBe('rediss://127.0.0.1:1');
    expect(() => loadConfig(shape, { REDIS_URL: 'redis+cluster://u:secret-pw@127.0.0.1' })).toThrow(/REDIS_URL: must be a redis:\/\/, rediss:\/\/ or redis\+cluster/);
    expect(() => loadConfig(shape, { REDIS_URL: 'redis+cluster://u:secret-pw@127.0.0.1' })).not.toThrow(/secret-pw/);
  });
});

describe('newRedisClient', () => {
  it('makes an ioredis Cluster of a cluster URL, its options split between the cluster and each node connection', () => {
    const retryStrategy = (times: number) => times * 10;
    const client = newRedisClient('redis+cluster://phoenix_jobs:pw@127.0.0.1:56381,127.0.0.1:56382', {
      lazyConnect: true,
      enableOfflineQueue: false,
      connectionName: 'spec',
      maxRetriesPerRequest: null,
      commandTimeout: 3000,
      retryStrategy,
    });
    try {
      expect(client).toBeInstanceOf(Cluster);
      expect(isRedisCluster(client)).toBe(true);
      const { options } = client as Cluster;
      expect(options).toMatchObject({ lazyConnect: true, enableOfflineQueue: false, clusterRetryStrategy: retryStrategy });
      expect(options.redisOptions).toMatchObject({ username: 'phoenix_jobs', password: 'pw', connectionName: 'spec', maxRetriesPerRequest: null, commandTimeout: 3000 });
      expect(options.redisOptions).not.toHaveProperty('enableOfflineQueue');
      expect(options.redisOptions).not.toHaveProperty('retryStrategy');
    } finally {
      client.disconnect();
    }
  });

  it('makes a plain ioredis client of a server URL', () => {
    const client = newRedisClient('redis://127.0.0.1:1', { lazyConnect: true });
    try {
      expect(client).not.toBeInstanceOf(Cluster);
      expect(isRedisCluster(client)).toBe(false);
    } finally {
      client.disconnect();
    }
  });
});
