import { Module } from '@nestjs/common';
import { LoginLimiter } from './login-limiter';
import { PasswordHasher } from './password-hasher';
import { TenantAuthController, TenantDevicesController } from './tenant-api.controllers';
import { TenantAuthService } from './tenant-auth.service';
import { ApiKeyGuard, TenantUserGuard } from './tenant.guards';
import { TenantTokens } from './tenant-tokens';
import { TenantsAdminController } from './tenants-admin.controller';
import { TenantsRepository } from './tenants.repository';
import { TenantUsageSource, analyticsTransportProvider } from './usage/tenant-usage.source';
import { TenantUsageBilling, TenantUsageBillingMessagesController } from './usage/usage-billing';
import { TenantUsageController } from './usage/usage.controller';

/**
 * B2B tenants (issue 17 items 1–3, 6): the operator's tenant and API-key endpoints, tenant users
 * (register, login, refresh, me), their devices, the tenant's usage and its monthly Stripe report.
 * Exports what per-device token issuance (item 4) needs: the guards, the tokens and the repository.
 */
@Module({
  controllers: [TenantsAdminController, TenantAuthController, TenantDevicesController, TenantUsageController, TenantUsageBillingMessagesController],
  providers: [TenantsRepository, PasswordHasher, TenantTokens, LoginLimiter, TenantAuthService, ApiKeyGuard, TenantUserGuard, analyticsTransportProvider, TenantUsageSource, TenantUsageBilling],
  exports: [TenantsRepository, TenantTokens, ApiKeyGuard, TenantUserGuard],
})
export class TenantsModule {}
