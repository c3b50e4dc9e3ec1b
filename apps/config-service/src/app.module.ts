import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@phoenix/common';
import { PostgresModule, REDIS, RedisModule, postgresReadiness, redisReadiness } from '@phoenix/database';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { NetworkConfig } from './config';
import { NETWORK_ENTITIES, NETWORK_MIGRATIONS } from './database/network-schema';

export const APP_CONFIG = Symbol('APP_CONFIG');

@Module({})
export class AppModule {
  static forRoot(config: NetworkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PostgresModule.forRoot({ url: config.NETWORK_DATABASE_URL, side: 'network', entities: NETWORK_ENTITIES, migrations: NETWORK_MIGRATIONS, applicationName: 'config-service' }),
        RedisModule.forRoot(config.REDIS_URL, 'config-service'),
        PlatformModule.forRoot({
          service: 'config-service',
          logLevel: config.LOG_LEVEL,
          readiness: { inject: [DataSource, REDIS], useFactory: (ds: DataSource, redis: Redis) => [postgresReadiness('network-db', ds), redisReadiness(redis)] },
        }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
