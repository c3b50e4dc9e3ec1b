import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, type RedisClient } from '@phoenix/common';
import { ClickHouseModule, REDIS, RedisModule, redisReadiness } from '@phoenix/database';
import type { AnalyticsConfig } from './config';
import { clickHouseSettings } from './cluster/clickhouse-cluster';
import { CoreModule } from './core/core.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { IngestModule } from './ingest/ingest.module';
import { RetentionModule } from './retention/retention.module';
import { FleetModule } from './fleet/fleet.module';
import { TenantUsageModule } from './tenant-usage/tenant-usage.module';
import { UsageQueryModule } from './usage-query/usage-query.module';

@Module({})
export class AppModule {
  static forRoot(config: AnalyticsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // One server, or a cluster's Distributed tables (README "Sharded ClickHouse"): the same SQL.
        ClickHouseModule.forRoot(config.CLICKHOUSE_URL, clickHouseSettings(config)),
        RedisModule.forRoot(config.REDIS_URL, 'analytics-service'),
        PlatformModule.forRoot({
          service: 'analytics-service',
          logLevel: config.LOG_LEVEL,
          // Ready = the queue is there. ClickHouse is deliberately not a check: while it is down,
          // POST /v1/events keeps taking batches into the queue (up to ANALYTICS_MAX_BACKLOG), which
          // a gateway would stop sending if every replica said "not ready" (README "Readiness").
          readiness: { inject: [REDIS], useFactory: (redis: RedisClient) => [redisReadiness(redis)] },
        }),
        CoreModule.forRoot(config),
        DashboardModule, // /dashboard and, through StatsModule, /v1/stats/:panel
        IngestModule,
        RetentionModule,
        FleetModule,
        UsageQueryModule,
        TenantUsageModule,
      ],
    };
  }
}
