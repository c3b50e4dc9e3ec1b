import { DynamicModule, Module } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { PlatformModule } from '@phoenix/common';
import { CLICKHOUSE, ClickHouseModule, REDIS, RedisModule, clickhouseReadiness, redisReadiness } from '@phoenix/database';
import type Redis from 'ioredis';
import type { AnalyticsConfig } from './config';
import { CoreModule } from './core/core.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { FleetModule } from './fleet/fleet.module';

@Module({})
export class AppModule {
  static forRoot(config: AnalyticsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ClickHouseModule.forRoot(config.CLICKHOUSE_URL),
        RedisModule.forRoot(config.REDIS_URL, 'analytics-service'),
        PlatformModule.forRoot({
          service: 'analytics-service',
          logLevel: config.LOG_LEVEL,
          readiness: {
            inject: [CLICKHOUSE, REDIS],
            useFactory: (ch: ClickHouseClient, redis: Redis) => [clickhouseReadiness(ch), redisReadiness(redis)],
          },
        }),
        CoreModule.forRoot(config),
        DashboardModule, // /dashboard and, through StatsModule, /v1/stats/:panel
        FleetModule,
      ],
    };
  }
}
