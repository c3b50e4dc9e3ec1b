import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { ConnectionOptions } from 'bullmq';
import { PlatformModule, type RedisClient } from '@phoenix/common';
import { REDIS, RedisModule, redisReadiness } from '@phoenix/database';
import { BlocklistModule } from './blocklist/blocklist.module';
import { BoardModule } from './board/board.module';
import type { JobsConfig } from './config';
import { CoreModule } from './core/core.module';
import { bullConnection, closeBullConnection } from './schedules/bull-connection';
import { ScheduleRegistrar } from './schedules/schedule.registrar';
import { SchedulesModule } from './schedules/schedules.module';

const BULL_CONNECTION = Symbol('BULL_CONNECTION');

/** Closes the queues' shared connection when it is a client (a Redis Cluster's), after them: the root module's hooks run last. */
@Injectable()
class BullConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(BULL_CONNECTION) private readonly connection: ConnectionOptions) {}
  async onApplicationShutdown(): Promise<void> {
    await closeBullConnection(this.connection);
  }
}

@Module({})
export class AppModule {
  static forRoot(config: JobsConfig): DynamicModule {
    const schedules = SchedulesModule.forRoot(config);
    const connection = bullConnection(config.REDIS_URL);
    return {
      module: AppModule,
      providers: [{ provide: BULL_CONNECTION, useValue: connection }, BullConnectionCloser],
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
