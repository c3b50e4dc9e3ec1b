import { RedisClient, logRedisErrors, newRedisClient } from '@phoenix/common';
import type { RedisOptions } from 'ioredis';

/**
 * An ioredis client that fails fast: commands issued while Redis is down reject at once (no
 * offline queue, one retry per request) so callers answer `503` instead of waiting, while the
 * client keeps reconnecting in the background with a capped backoff. Its connection errors go to
 * the service's logger under `connectionName`, rate-limited ({@link logRedisErrors}).
 *
 * A `redis+cluster://` URL gives an `ioredis.Cluster` with the same options (README "Redis
 * Cluster"): this is the one place every data client of the services is made.
 */
export function createRedis(url: string, connectionName: string, extra: RedisOptions = {}): RedisClient {
  const redis = newRedisClient(url, {
    connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 3000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...extra,
  });
  return logRedisErrors(redis, connectionName);
}

/** Waits until the client is connected, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: RedisClient, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error('Redis not ready'));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
