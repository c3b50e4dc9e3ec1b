import { Inject, Injectable, Logger, OnApplicationShutdown, type Provider } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { APP_CONFIG, AppError, InjectConfig, Patterns, type RedisClient, type TenantUsageQuery, channelListeners, redisClientOptions } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import { firstValueFrom, timeout } from 'rxjs';
import type { AuthConfig } from '../../config';
import type { UsageDay } from './usage';

/** auth-service's Redis transport client to analytics-service (as the identity Redis user). */
export const ANALYTICS_TRANSPORT = Symbol('ANALYTICS_TRANSPORT');

export const analyticsTransportProvider: Provider = {
  provide: ANALYTICS_TRANSPORT,
  inject: [APP_CONFIG],
  useFactory: (config: AuthConfig): ClientProxy => ClientProxyFactory.create(redisClientOptions(ANALYTICS_TRANSPORT, config.REDIS_URL) as never) as unknown as ClientProxy,
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const count = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The reply's rows if it has the promised shape, else null. */
function rowsOf(reply: unknown): UsageDay[] | null {
  const rows = (reply as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) return null;
  const ok = rows.every((r: Partial<UsageDay> | null) => r !== null && typeof r === 'object' && typeof r.day === 'string' && DAY.test(r.day) && count(r.connections) && count(r.connectionSeconds) && count(r.bytes));
  return ok ? (rows as UsageDay[]).map((r) => ({ day: r.day, connections: r.connections, connectionSeconds: r.connectionSeconds, bytes: r.bytes })) : null;
}

/**
 * A tenant's daily usage, asked of analytics-service over the Redis transport
 * (`analytics.tenant-usage.query`, request/reply; the identity Redis user may send that one
 * analytics pattern and nothing else). The only question this side can ask is one tenant's days:
 * analytics-service holds nothing per user or device to ask for. The tenant is always the caller's
 * ({@link TenantScope}'s, or the billed tenant's), never taken from a request.
 */
@Injectable()
export class TenantUsageSource implements OnApplicationShutdown {
  private readonly logger = new Logger('TenantUsage');

  constructor(
    @Inject(ANALYTICS_TRANSPORT) private readonly client: ClientProxy,
    @Inject(REDIS) private readonly redis: RedisClient,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /**
   * One row per day with data in `from`..`to` (both `YYYY-MM-DD`, checked by the caller).
   * @throws AppError 503 UNAVAILABLE when no analytics-service listens (fails at once: Redis
   *   pub/sub drops a message nobody hears), Redis is down, no reply comes within
   *   ANALYTICS_QUERY_TIMEOUT_MS, or analytics-service answers an error or a malformed reply
   */
  async days(tenantId: string, from: string, to: string): Promise<UsageDay[]> {
    const query: TenantUsageQuery = { tenantId, from, to };
    let reply: unknown;
    try {
      if ((await channelListeners(this.redis, Patterns.ANALYTICS_TENANT_USAGE_QUERY)) === 0) throw new Error('no analytics-service listens');
      reply = await firstValueFrom(this.client.send(Patterns.ANALYTICS_TENANT_USAGE_QUERY, query).pipe(timeout(this.config.ANALYTICS_QUERY_TIMEOUT_MS)));
    } catch (e) {
      this.logger.warn(`tenant usage not read: ${describe(e)}`);
      throw AppError.unavailable('analytics', e);
    }
    const rows = rowsOf(reply);
    if (!rows) {
      this.logger.warn('tenant usage not read: a malformed reply');
      throw AppError.unavailable('analytics');
    }
    return rows;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/** An error or an error reply (`{code, message}`), in words for the log. */
function describe(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    return [code, name === 'TimeoutError' ? 'no reply in time' : message].filter((x) => typeof x === 'string').join(': ') || 'unknown error';
  }
  return String(e);
}
