import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig, type RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import type { AuthConfig } from '../config';
import { sha256Hex } from './secrets';

// One fixed-window counter: the increment and its expiry in one script (a counter can never be
// left without a TTL), one key, so it runs on a Redis Cluster as it does on one server.
const HIT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return c
`;
const COMMAND = 'authTenantLoginHit';

type LimiterRedis = RedisClient & { [COMMAND](key: string, ttlSeconds: number): Promise<number> };

const KEY_WINDOW_SECONDS = 60;
const ACCOUNT_WINDOW_SECONDS = 15 * 60;

/**
 * Login attempts in fixed windows, counted in Redis under the service's `identity:` prefix: per
 * API key (`TENANT_LOGIN_PER_KEY_PER_MINUTE`) and per account (`TENANT_LOGIN_PER_ACCOUNT_PER_15_MIN`,
 * keyed by the tenant and SHA-256 of the email, so no address is written to Redis). Unknown emails
 * count like known ones (no difference to observe). Checked before any password work.
 */
@Injectable()
export class LoginLimiter {
  private readonly redis: LimiterRedis;
  private readonly prefix: string;
  private readonly perKey: number;
  private readonly perAccount: number;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    private readonly clock: Clock,
    @InjectConfig() config: AuthConfig,
  ) {
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: HIT });
    this.redis = redis as LimiterRedis;
    this.prefix = config.REDIS_KEY_PREFIX;
    this.perKey = config.TENANT_LOGIN_PER_KEY_PER_MINUTE;
    this.perAccount = config.TENANT_LOGIN_PER_ACCOUNT_PER_15_MIN;
  }

  /** @throws 429 RATE_LIMITED with Retry-After when either window is full */
  async attempt(tenantId: string, apiKeyId: string, email: string): Promise<void> {
    const now = Math.floor(this.clock.nowMs() / 1000);
    await this.hit(`${this.prefix}tenant-login:key:${apiKeyId}`, KEY_WINDOW_SECONDS, this.perKey, now, 'too many logins with this API key');
    await this.hit(`${this.prefix}tenant-login:account:${tenantId}:${sha256Hex(email)}`, ACCOUNT_WINDOW_SECONDS, this.perAccount, now, 'too many logins for this account');
  }

  private async hit(base: string, window: number, limit: number, now: number, message: string): Promise<void> {
    const slot = Math.floor(now / window);
    const key = `${base}:${slot}`;
    const count = Number(await this.redis[COMMAND](key, window + 1));
    if (!(count <= limit)) {
      throw new AppError(ErrorCode.RATE_LIMITED, message, { headers: { 'Retry-After': String(Math.max(1, (slot + 1) * window - now)) } });
    }
  }
}
