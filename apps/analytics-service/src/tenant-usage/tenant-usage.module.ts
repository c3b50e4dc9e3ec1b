import { Module } from '@nestjs/common';
import { TenantUsageController } from './tenant-usage.controller';
import { TenantUsageWriter } from './tenant-usage.writer';

/** Tenant usage per day: config-service's reports over the Redis transport into `tenant_usage_daily`. */
@Module({
  controllers: [TenantUsageController],
  providers: [TenantUsageWriter],
})
export class TenantUsageModule {}
