import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '@phoenix/common';
import { REDIS, ReleaseLock, acquireRedisLock } from '@phoenix/database';
import { RedisKeys } from './redis-keys';

/**
 * A best-effort mutual exclusion across replicas, under config-service's key prefix, for work
 * every replica is asked to do but one should run (see `acquireRedisLock`). The work itself must
 * stay safe to run twice.
 */
@Injectable()
export class RedisLock {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Takes the lock for `ttlMs`.
   * @returns a release function, or null when another holder has it
   * @throws when Redis fails
   */
  acquire(name: string, ttlMs: number): Promise<ReleaseLock | null> {
    return acquireRedisLock(this.redis, this.keys.lock(name), ttlMs);
  }
}
