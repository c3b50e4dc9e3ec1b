import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@phoenix/database';
import type Redis from 'ioredis';
import { RedisKeys } from './redis-keys';

// Deletes the lock only if it is still ours: it may have expired and been taken by another replica.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * A best-effort mutual exclusion across replicas (`SET NX PX` + compare-and-delete), for work
 * every replica is asked to do but one should run. The work itself must stay safe to run twice.
 */
@Injectable()
export class RedisLock {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Takes the lock for `ttlMs`.
   * @returns a release function, or null when another holder has it
   * @throws when Redis fails
   */
  async acquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
    const key = this.keys.lock(name);
    const token = randomBytes(16).toString('hex');
    if ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
    return async () => {
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    };
  }
}
