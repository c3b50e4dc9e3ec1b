import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RedisClient } from '@phoenix/common';
import { bytesToHex } from '@phoenix/crypto';
import { REDIS } from '@phoenix/database';
import { randomBytes } from 'node:crypto';
import { RedisKeys } from '../core/redis-keys';

// Undo a spend only if the key still holds our spend id: never free a token another request spent.
const UNSPEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Spent tokens in Redis, keyed on the token's nonce. `SET NX` makes exactly one of any number of
 * concurrent redemptions (on any replica) the winner. The mark expires at an absolute instant
 * (`EXAT`, see `forgetAt`) after the signing key can no longer be listed (keys are listed at most
 * 15 days and 5 minutes), so a nonce cannot be replayed after it is forgotten — and, being the same
 * instant for every token of a key, the remaining TTL does not tell when a token was redeemed.
 * This is the fast check only: a Redis that loses writes forgets spends, so the lease transaction
 * also records the token's nullifier in Postgres (`LeasesRepository.create`).
 */
@Injectable()
export class SpentTokensStore {
  private readonly logger = new Logger('SpentTokens');

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Marks the token spent until `forgetAtSec` (unix seconds).
   * @returns a spend id to undo with, or null when it was already spent
   * @throws the Redis client's error when Redis fails, `503` by the error filter (nothing was spent, or at worst the token stays spent: fail closed)
   */
  async spend(nonce: Uint8Array, forgetAtSec: number): Promise<string | null> {
    const spendId = randomBytes(16).toString('hex');
    const ok = await this.redis.set(this.keys.spentToken(bytesToHex(nonce)), spendId, 'EXAT', forgetAtSec, 'NX');
    return ok === 'OK' ? spendId : null;
  }

  /** Gives the token back after a failure that followed the spend (best effort). */
  async unspend(nonce: Uint8Array, spendId: string): Promise<void> {
    try {
      await this.redis.eval(UNSPEND, 1, this.keys.spentToken(bytesToHex(nonce)), spendId);
    } catch (e) {
      // Fail closed: the token stays spent, which costs the user one token but grants nothing.
      this.logger.warn(`could not return a token after a failed redemption: ${(e as Error).message}`);
    }
  }
}
