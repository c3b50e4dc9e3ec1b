import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, type RedisClient } from '@phoenix/common';
import { PostgresModule, REDIS, RedisModule, postgresReadiness, redisReadiness } from '@phoenix/database';
import { DataSource } from 'typeorm';
import { AccountModule } from './account/account.module';
import { BillingModule } from './billing/billing.module';
import type { AuthConfig } from './config';
import { CoreModule } from './core/core.module';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS } from './database/identity-schema';
import { EntitlementModule } from './entitlement/entitlement.module';
import { IdentityModule } from './identity/identity.module';
import { IssuanceModule } from './issuance/issuance.module';
import { NotificationsModule } from './notifications/notifications.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { TenantsModule } from './tenants/tenants.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PostgresModule.forRoot({ url: config.IDENTITY_DATABASE_URL, side: 'identity', entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS, applicationName: 'auth-service' }),
        RedisModule.forRoot(config.REDIS_URL, 'auth-service'),
        PlatformModule.forRoot({
          service: 'auth-service',
          logLevel: config.LOG_LEVEL,
          readiness: { inject: [DataSource, REDIS], useFactory: (ds: DataSource, redis: RedisClient) => [postgresReadiness('identity-db', ds), redisReadiness(redis)] },
        }),
        CoreModule.forRoot(config),
        IdentityModule,
        SubscriptionsModule,
        EntitlementModule,
        NotificationsModule,
        BillingModule,
        IssuanceModule,
        WebhooksModule,
        AccountModule,
        TenantsModule,
      ],
    };
  }
}
