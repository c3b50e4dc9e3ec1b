import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createRedis, waitForRedis } from '@phoenix/database';
import { Clock, InjectConfig, type RedisClient } from '@phoenix/common';
import type { AuthConfig } from '../config';

// A rolling day as 24 hourly buckets in one hash per user: {hour number → tokens issued}. Only
// counts per hour are kept — no token, no message, no exact time (ARCHITECTURE.md invariant 3).
// Check and consume happen in one script, so concurrent requests can never overspend.
const CONSUME = `
local now = tonumber(ARGV[1])
local size = tonumber(ARGV[2])
local buckets = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local cur = math.floor(now / size)
local oldest = cur - buckets + 1
local flat = redis.call('HGETALL', KEYS[1])
local used = 0
local live = {}
for i = 1, #flat, 2 do
  local b = tonumber(flat[i])
  local c = tonumber(flat[i + 1])
  if b < oldest then
    redis.call('HDEL', KEYS[1], flat[i])
  else
    used = used + c
    live[#live + 1] = { b, c }
  end
end
if used + n > limit then
  if n > limit then return { 0, used, buckets * size } end
  table.sort(live, function(x, y) return x[1] < y[1] end)
  local need = used + n - limit
  local freed = 0
  for _, e in ipairs(live) do
    freed = freed + e[2]
    if freed >= need then return { 0, used, (e[1] + buckets) * size - now } end
  end
  return { 0, used, buckets * size }
end
redis.call('HINCRBY', KEYS[1], cur, n)
redis.call('EXPIRE', KEYS[1], (buckets + 1) * size)
return { 1, used + n, cur }
`;

const RELEASE = `
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2]))
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
`;

const USED = `
local now = tonumber(ARGV[1])
local size = tonumber(ARGV[2])
local buckets = tonumber(ARGV[3])
local oldest = math.floor(now / size) - buckets + 1
local flat = redis.call('HGETALL', KEYS[1])
local used = 0
for i = 1, #flat, 2 do
  if tonumber(flat[i]) >= oldest then used = used + tonumber(flat[i + 1]) end
end
return used
`;

type QuotaRedis = RedisClient & {
  authQuotaConsume(key: string, now: number, size: number, buckets: number, limit: number, n: number): Promise<[number, number, number]>;
  authQuotaRelease(key: string, bucket: number, n: number): Promise<number>;
  authQuotaUsed(key: string, now: number, size: number, buckets: number): Promise<number>;
};

export type QuotaDecision = { allowed: true; used: number; bucket: number } | { allowed: false; used: number; retryAfterSeconds: number };

export const QUOTA_BUCKET_SECONDS = 3600;
export const QUOTA_BUCKETS = 24;

/**
 * Tokens per user per rolling day (`TOKEN_QUOTA_PER_DAY`), atomic in Redis. Its own fail-fast
 * connection with auto-pipelining: the quota check of every concurrent request in one event-loop
 * tick goes out in one write (the hot path's biggest cost after the RSA operation).
 */
@Injectable()
export class QuotaService implements OnModuleInit, OnApplicationShutdown {
  private readonly redis: QuotaRedis;
  readonly limit: number;
  private readonly prefix: string;

  constructor(
    private readonly clock: Clock,
    @InjectConfig() config: AuthConfig,
  ) {
    const redis = createRedis(config.REDIS_URL, 'auth-service-quota', { enableAutoPipelining: true });
    redis.defineCommand('authQuotaConsume', { numberOfKeys: 1, lua: CONSUME });
    redis.defineCommand('authQuotaRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('authQuotaUsed', { numberOfKeys: 1, lua: USED });
    this.redis = redis as QuotaRedis;
    this.limit = config.TOKEN_QUOTA_PER_DAY;
    this.prefix = config.REDIS_KEY_PREFIX;
  }

  key(userId: string): string {
    return `${this.prefix}quota:${userId}`;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  /** Consumes `n` tokens if they fit in the rolling day. @throws the Redis client's error when Redis is down (`503` by the error filter) */
  async consume(userId: string, n: number): Promise<QuotaDecision> {
    const [ok, used, third] = await this.redis.authQuotaConsume(this.key(userId), this.nowSeconds(), QUOTA_BUCKET_SECONDS, QUOTA_BUCKETS, this.limit, n);
    return ok === 1 ? { allowed: true, used, bucket: third } : { allowed: false, used, retryAfterSeconds: Math.max(1, third) };
  }

  /** Gives back tokens consumed for a request that then failed to sign. Best effort. */
  async release(userId: string, bucket: number, n: number): Promise<void> {
    await this.redis.authQuotaRelease(this.key(userId), bucket, n).catch(() => undefined);
  }

  async used(userId: string): Promise<number> {
    return this.redis.authQuotaUsed(this.key(userId), this.nowSeconds(), QUOTA_BUCKET_SECONDS, QUOTA_BUCKETS);
  }

  /** Gives the connection a moment at start (fail-fast clients refuse commands until connected); never blocks start-up for long. */
  async onModuleInit(): Promise<void> {
    await waitForRedis(this.redis, 3000).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Erasure: forgets the user's counts. */
  async forget(userId: string): Promise<void> {
    await this.redis.del(this.key(userId));
  }

  // --- per device (B2B tenants): the same rolling day, the plan's limit --------------------------

  /** A tenant device's counts: one hash (one key, one Cluster slot) per device, like a user's. */
  deviceKey(deviceId: string): string {
    return `${this.prefix}device-quota:${deviceId}`;
  }

  /** Consumes `n` of a device's `limit` tokens per rolling day (`tokensPerDevicePerDay` of its tenant's plan). @throws the Redis client's error when Redis is down */
  async consumeDevice(deviceId: string, n: number, limit: number): Promise<QuotaDecision> {
    const [ok, used, third] = await this.redis.authQuotaConsume(this.deviceKey(deviceId), this.nowSeconds(), QUOTA_BUCKET_SECONDS, QUOTA_BUCKETS, limit, n);
    return ok === 1 ? { allowed: true, used, bucket: third } : { allowed: false, used, retryAfterSeconds: Math.max(1, third) };
  }

  /** Gives back a device's tokens consumed for a request that then failed to sign. Best effort. */
  async releaseDevice(deviceId: string, bucket: number, n: number): Promise<void> {
    await this.redis.authQuotaRelease(this.deviceKey(deviceId), bucket, n).catch(() => undefined);
  }

  async usedByDevice(deviceId: string): Promise<number> {
    return this.redis.authQuotaUsed(this.deviceKey(deviceId), this.nowSeconds(), QUOTA_BUCKET_SECONDS, QUOTA_BUCKETS);
  }
}
