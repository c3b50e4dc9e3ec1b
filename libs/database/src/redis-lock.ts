import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@phoenix/common';

// Deletes the lock only if it is still ours: it may have expired and been taken by another holder.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Releases a lock taken by {@link acquireRedisLock}; never throws. */
export type ReleaseLock = () => Promise<void>;

/**
 * A best-effort mutual exclusion across processes: `SET key token NX PX ttlMs`, released by a
 * compare-and-delete, so a holder whose lock expired cannot release the next holder's. The work
 * it guards must stay correct if it ever runs twice (an expired lock, a failover that lost the key).
 *
 * @returns the release function, or null when another holder has the lock
 * @throws when Redis fails
 * @example
 * const release = await acquireRedisLock(redis, 'jobs:{sched}:registrar', 30_000);
 * if (release) try { await work(); } finally { await release(); }
 */
export async function acquireRedisLock(redis: RedisClient, key: string, ttlMs: number): Promise<ReleaseLock | null> {
  const token = randomBytes(16).toString('hex');
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
  return async () => {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  };
}
