import Redis from 'ioredis';

/**
 * Deletes every key under `prefix` on a Redis a suite shares with others (spent marks, queues and
 * markers outlive a suite otherwise). It SCANs, so it needs the admin URL (`REDIS_URL` of
 * `.stack/env`): the side users may not SCAN.
 */
export async function dropRedisPrefix(prefix: string, url = process.env.REDIS_URL): Promise<void> {
  if (!url) throw new Error('dropRedisPrefix: REDIS_URL (the stack admin URL) is not set');
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
