import { Module } from '@nestjs/common';
import { LoginLimiter } from './login-limiter';
import { PasswordHasher } from './password-hasher';
import { TenantAuthController, TenantDevicesController } from './tenant-api.controllers';
import { TenantAuthService } from './tenant-auth.service';
import { ApiKeyGuard, TenantUserGuard } from './tenant.guards';
import { TenantTokens } from './tenant-tokens';
import { TenantsAdminController } from './tenants-admin.controller';
import { TenantsRepository } from './tenants.repository';

/**
 * B2B tenants (issue 17 items 1–3): the operator's tenant and API-key endpoints, tenant users
 * (register, login, refresh, me) and their devices. Exports what per-device token issuance
 * (item 4) needs: the guards, the tokens and the repository.
 */
@Module({
  controllers: [TenantsAdminController, TenantAuthController, TenantDevicesController],
  providers: [TenantsRepository, PasswordHasher, TenantTokens, LoginLimiter, TenantAuthService, ApiKeyGuard, TenantUserGuard],
  exports: [TenantsRepository, TenantTokens, ApiKeyGuard, TenantUserGuard],
})
export class TenantsModule {}
