import type { ClickHouseClient } from '@clickhouse/client';
import type Redis from 'ioredis';
import type { ReadinessCheck } from '@phoenix/common';
import type { DataSource } from 'typeorm';

export function postgresReadiness(name: string, ds: DataSource): ReadinessCheck {
  return {
    name,
    check: async () => {
      if (!ds.isInitialized) throw new Error('not connected');
      await ds.query('SELECT 1');
    },
  };
}

export function redisReadiness(redis: Redis): ReadinessCheck {
  return { name: 'redis', check: () => redis.ping() };
}

export function clickhouseReadiness(ch: ClickHouseClient): ReadinessCheck {
  return {
    name: 'clickhouse',
    check: async () => {
      const r = await ch.ping();
      if (!r.success) throw new Error('ping failed');
    },
  };
}
