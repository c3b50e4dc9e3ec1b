import { DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { PlatformModule, type RedisClient } from '@phoenix/common';
import { REDIS, RedisModule, redisReadiness } from '@phoenix/database';
import { BlocklistModule } from './blocklist/blocklist.module';
import { BoardModule } from './board/board.module';
import type { JobsConfig } from './config';
import { CoreModule } from './core/core.module';
import { bullConnection } from './schedules/bull-connection';
import { ScheduleRegistrar } from './schedules/schedule.registrar';
import { SchedulesModule } from './schedules/schedules.module';

@Module({})
export class AppModule {
  static forRoot(config: JobsConfig): DynamicModule {
    // Options for a Redis server; for a Redis Cluster a client, shared by the queues and the
    // worker and closed after them (SchedulesModule).
    const connection = bullConnection(config.REDIS_URL);
    const schedules = SchedulesModule.forRoot(config, connection);
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        RedisModule.forRoot(config.REDIS_URL, 'job-worker'),
        BullModule.forRoot({ connection, prefix: config.JOBS_PREFIX }),
        schedules,
        BlocklistModule.forRoot(schedules),
        BoardModule.forRoot(config),
        PlatformModule.forRoot({
          service: 'job-worker',
          logLevel: config.LOG_LEVEL,
          readiness: {
            imports: [schedules],
            inject: [REDIS, ScheduleRegistrar],
            useFactory: (redis: RedisClient, registrar: ScheduleRegistrar) => [
              redisReadiness(redis),
              {
                name: 'schedules',
                check: async () => {
                  if (!registrar.ready) throw new Error('schedules not reconciled yet');
                },
              },
            ],
          },
        }),
      ],
    };
  }
}
