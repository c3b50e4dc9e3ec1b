import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { ErrorCode, Patterns, type TenantUsageQueryReply } from '@phoenix/common';
import { parseTenantUsageQuery } from './tenant-usage-query';
import { TenantUsageRepository } from './tenant-usage.repository';

/**
 * `analytics.tenant-usage.query` from auth-service over the Redis transport (request/reply): one
 * tenant's daily totals, for `GET /api/v1/usage` and the monthly Stripe report. Only auth-service's
 * Redis user may send it (infra/redis/users.acl.in); it names the tenant, the rows hold nothing
 * below the tenant. Every replica answers; the asker takes the first reply (a read, so any will do).
 * A bad query answers `{code: VALIDATION_FAILED}`, a ClickHouse failure `{code: UNAVAILABLE}`.
 */
@Controller()
export class TenantUsageQueryController {
  private readonly logger = new Logger('TenantUsageQuery');

  constructor(private readonly usage: TenantUsageRepository) {}

  @MessagePattern(Patterns.ANALYTICS_TENANT_USAGE_QUERY)
  async query(@Payload() payload: unknown): Promise<TenantUsageQueryReply> {
    const parsed = parseTenantUsageQuery(payload);
    if (!parsed.ok) throw new RpcException({ code: ErrorCode.VALIDATION_FAILED, message: parsed.problem });
    try {
      return { rows: await this.usage.days(parsed.query) };
    } catch (e) {
      this.logger.warn({ msg: 'tenant usage not read', error: (e as Error).message });
      throw new RpcException({ code: ErrorCode.UNAVAILABLE, message: 'ClickHouse is unavailable' });
    }
  }
}
