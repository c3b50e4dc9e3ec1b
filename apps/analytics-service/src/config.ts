import { ConfigOf, baseShape, env } from '@phoenix/common';

/** analytics-service environment: ClickHouse and Redis only (no identity, no network DB). */
export const configShape = {
  ...baseShape(3003),
  CLICKHOUSE_URL: env.url(['http:', 'https:']),
  REDIS_URL: env.url(['redis:', 'rediss:']),
  K_ANONYMITY_MIN: env.int(10, 2, 1000),
  ADMIN_TOKEN: env.secret('dev-admin-token-analytics'),
};

export type AnalyticsConfig = ConfigOf<typeof configShape>;
