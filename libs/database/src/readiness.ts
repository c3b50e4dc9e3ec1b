import type { ClickHouseClient } from '@clickhouse/client';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';

// Shapes match `ReadinessCheck` in @phoenix/common (kept structural to avoid a lib cycle).

export function postgresReadiness(name: string, ds: DataSource) {
  return {
    name,
    check: async () => {
      if (!ds.isInitialized) throw new Error('not connected');
      await ds.query('SELECT 1');
    },
  };
}

export function redisReadiness(redis: Redis) {
  return { name: 'redis', check: () => redis.ping() };
}

export function clickhouseReadiness(ch: ClickHouseClient) {
  return {
    name: 'clickhouse',
    check: async () => {
      const r = await ch.ping();
      if (!r.success) throw new Error('ping failed');
    },
  };
}
