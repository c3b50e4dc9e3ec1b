import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, type RedisClient } from '@phoenix/common';
import { PostgresModule, REDIS, RedisModule, postgresReadiness, redisReadiness } from '@phoenix/database';
import { DataSource } from 'typeorm';
import type { NetworkConfig } from './config';
import { CoreModule } from './core/core.module';
import { NETWORK_ENTITIES, NETWORK_MIGRATIONS } from './database/network-schema';
import { FleetModule } from './fleet/fleet.module';
import { IssuerDirectoryModule } from './issuer-directory/issuer-directory.module';
import { LeasesModule } from './leases/leases.module';
import { LocationsModule } from './locations/locations.module';
import { RedemptionModule } from './redemption/redemption.module';

@Module({})
export class AppModule {
  static forRoot(config: NetworkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PostgresModule.forRoot({
          url: config.NETWORK_DATABASE_URL,
          side: 'network',
          entities: NETWORK_ENTITIES,
          migrations: NETWORK_MIGRATIONS,
          applicationName: 'config-service',
          poolSize: config.NETWORK_DB_POOL_SIZE,
        }),
        // Auto-pipelining: the commands of concurrent redemptions issued in one event-loop turn go
        // out in one write (bench/config: socket writes were a quarter of a redemption's CPU).
        RedisModule.forRoot(config.REDIS_URL, 'config-service', { enableAutoPipelining: true }),
        PlatformModule.forRoot({
          service: 'config-service',
          logLevel: config.LOG_LEVEL,
          // The issuer directory is deliberately not a readiness check: auth-service being down
          // must not take redemption down while cached keys still verify tokens.
          readiness: { inject: [DataSource, REDIS], useFactory: (ds: DataSource, redis: RedisClient) => [postgresReadiness('network-db', ds), redisReadiness(redis)] },
        }),
        CoreModule.forRoot(config),
        FleetModule,
        LocationsModule,
        LeasesModule,
        IssuerDirectoryModule,
        RedemptionModule,
      ],
    };
  }
}
