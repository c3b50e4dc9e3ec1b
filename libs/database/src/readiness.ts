import type { ClickHouseClient } from '@clickhouse/client';
import type { RedisClient } from '@phoenix/common';
import type { ReadinessCheck } from '@phoenix/common';
import type { DataSource } from 'typeorm';

/**
 * Ready when Postgres answers AND every migration the service ships is applied: a service whose
 * schema is behind (`npm run migrate:<side>` not run) is not ready, rather than answering 500s.
 */
export function postgresReadiness(name: string, ds: DataSource): ReadinessCheck {
  return {
    name,
    check: async () => {
      if (!ds.isInitialized) throw new Error('not connected');
      const shipped = ds.migrations.map((m) => m.name).filter((n): n is string => !!n);
      if (shipped.length === 0) {
        await ds.query('SELECT 1');
        return;
      }
      // to_regclass: NULL (not an error) when the migrations table does not exist yet.
      const [{ t }] = (await ds.query(`SELECT to_regclass('migrations') AS t`)) as Array<{ t: string | null }>;
      const applied = new Set(t ? ((await ds.query('SELECT name FROM migrations')) as Array<{ name: string }>).map((r) => r.name) : []);
      const pending = shipped.filter((n) => !applied.has(n));
      if (pending.length > 0) throw new Error(`schema behind: ${pending.length} migration(s) not applied (${pending.join(', ')})`);
    },
  };
}

export function redisReadiness(redis: RedisClient): ReadinessCheck {
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
