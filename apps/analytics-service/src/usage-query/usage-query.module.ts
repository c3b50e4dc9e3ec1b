import { Module } from '@nestjs/common';
import { TenantUsageQueryController } from './tenant-usage-query.controller';
import { TenantUsageRepository } from './tenant-usage.repository';

/** Tenants' daily usage as auth-service asks for it (`analytics.tenant-usage.query`). */
@Module({
  controllers: [TenantUsageQueryController],
  providers: [TenantUsageRepository],
})
export class UsageQueryModule {}
