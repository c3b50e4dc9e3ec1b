import { ConfigOf, ConfigRules, baseShape, env, loadConfig } from '@phoenix/common';
import { z } from 'zod';
import { clickHouseRules, clickHouseShape } from './cluster/clickhouse-cluster';

/** analytics-service environment: ClickHouse and Redis only (no identity, no network DB). */
export const configShape = {
  ...baseShape(3003),
  /** CLICKHOUSE_URL, and the cluster settings (README "Sharded ClickHouse"). */
  ...clickHouseShape,
  REDIS_URL: env.redisUrl(),
  K_ANONYMITY_MIN: env.int(10, 2, 1000),
  ADMIN_TOKEN: env.secret('dev-admin-token-analytics'),
  /**
   * Prefix of every Redis key this service writes (suites use their own on a shared Redis). Under
   * `analytics:`, the only keys the analytics side's Redis user may touch (README "Redis users").
   */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^analytics:[A-Za-z0-9_:.-]{0,56}$/, { message: 'must be analytics: then up to 56 characters of [A-Za-z0-9_:.-]' })
    .default('analytics:'),
  /**
   * Events queued in Redis and not yet in ClickHouse, at most (all replicas together). Beyond it
   * `POST /v1/events` answers `503 UNAVAILABLE` with `Retry-After`. About 150 bytes of Redis memory
   * an event.
   */
  ANALYTICS_MAX_BACKLOG: env.int(500_000, 500, 100_000_000),
  /** `Retry-After` (seconds) of a `503` for a full backlog or an absent Redis. */
  ANALYTICS_RETRY_AFTER_SEC: env.int(60, 1, 3600),
  /** The inserter writes to ClickHouse once this many rows are read from the queue… */
  ANALYTICS_INSERT_BATCH_ROWS: env.int(10_000, 1000, 1_000_000),
  /** …or once the oldest row it holds waited this long, whichever comes first. */
  ANALYTICS_INSERT_INTERVAL_MS: env.int(1000, 50, 1000),
  /** Inserts one replica's inserter has under way at once (ClickHouse parses each on its own thread). */
  ANALYTICS_INSERT_CONCURRENCY: env.int(4, 1, 16),
  /** Queued batches a consumer (a replica that died) left unacknowledged this long are taken over. */
  ANALYTICS_CLAIM_IDLE_MS: env.int(30_000, 500, 3_600_000),
  /** Whole monthly partitions whose newest possible hour is older than this are dropped (`analytics.retention`). */
  ANALYTICS_RETENTION_DAYS: env.int(90, 7, 3650),
};

export type AnalyticsConfig = ConfigOf<typeof configShape>;

/** The rules that span variables: the ClickHouse cluster's (README "Sharded ClickHouse"). */
export const analyticsConfigRules: ConfigRules<AnalyticsConfig> = (config) => clickHouseRules(config);

/** Parses the environment against the shape and {@link analyticsConfigRules}. */
export function loadAnalyticsConfig(source: NodeJS.ProcessEnv = process.env): AnalyticsConfig {
  return loadConfig(configShape, source, analyticsConfigRules);
}
