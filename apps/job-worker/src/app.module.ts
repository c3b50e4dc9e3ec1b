import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@phoenix/common';
import { REDIS, RedisModule, redisReadiness } from '@phoenix/database';
import type Redis from 'ioredis';
import type { JobsConfig } from './config';
import { ControlModule } from './control/control.module';

export const APP_CONFIG = Symbol('APP_CONFIG');

@Module({})
export class AppModule {
  static forRoot(config: JobsConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RedisModule.forRoot(config.REDIS_URL, 'job-worker'),
        ControlModule.forRoot(config.REDIS_URL),
        PlatformModule.forRoot({
          service: 'job-worker',
          logLevel: config.LOG_LEVEL,
          readiness: { inject: [REDIS], useFactory: (redis: Redis) => [redisReadiness(redis)] },
        }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
