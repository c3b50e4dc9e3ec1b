import type Redis from 'ioredis';
import { isRedisCluster, newRedisClient } from '../redis/redis-client';

/** Deletes the keys of one server under `prefix`, SCAN by SCAN (one key per UNLINK: on a cluster node they may lie in several slots). */
async function dropOn(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) {
      const pipe = redis.pipeline();
      for (const k of keys) pipe.unlink(k);
      await pipe.exec();
    }
  } while (cursor !== '0');
}

/**
 * Deletes every key under `prefix` on a Redis a suite shares with others (spent marks, queues and
 * markers outlive a suite otherwise). It SCANs, so it needs an admin URL (`REDIS_URL` of
 * `.stack/env`, or `REDIS_CLUSTER_URL` for the stack's Redis Cluster, whose every master it
 * SCANs): the side users may not SCAN.
 */
export async function dropRedisPrefix(prefix: string, url = process.env.REDIS_URL): Promise<void> {
  if (!url) throw new Error('dropRedisPrefix: REDIS_URL (the stack admin URL) is not set');
  const client = newRedisClient(url, { maxRetriesPerRequest: 1 });
  try {
    if (isRedisCluster(client)) {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
      });
      await Promise.all(client.nodes('master').map((node) => dropOn(node, prefix)));
    } else {
      await dropOn(client, prefix);
    }
  } finally {
    client.disconnect();
  }
}
