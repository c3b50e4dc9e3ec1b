import { Module } from '@nestjs/common';
import { APP_CONFIG } from '@phoenix/common';
import type { AuthConfig } from '../config';
import { IssuanceController } from './issuance.controller';
import { IssuanceService } from './issuance.service';
import { IssuerKeysAdminController, IssuerKeysMessagesController } from './issuer-keys.controller';
import { IssuerKeysRepository } from './issuer-keys.repository';
import { IssuerDirectory } from './issuer-directory';
import { ISSUER_KEK, IssuerKeyStore } from './issuer-keys.store';
import { issuerKek } from './kek';
import { QuotaService } from './quota.service';
import { SignerPool } from './signer.pool';
import { TokenRequestRoute } from './token-request.route';
import { TenantsModule } from '../tenants/tenants.module';
import { TenantIssuanceService } from './tenant-issuance.service';
import { TenantTokensController, TokenIssuersController } from './tenant-issuance.controller';
import { TenantIssuers } from './tenant-issuers';

@Module({
  imports: [TenantsModule],
  controllers: [IssuanceController, IssuerKeysAdminController, IssuerKeysMessagesController, TenantTokensController, TokenIssuersController],
  providers: [
    { provide: ISSUER_KEK, inject: [APP_CONFIG], useFactory: (c: AuthConfig) => issuerKek(c.ISSUER_KEY_ENCRYPTION_KEY, c.NODE_ENV) },
    IssuerKeysRepository,
    IssuerKeyStore,
    IssuerDirectory,
    QuotaService,
    SignerPool,
    IssuanceService,
    TokenRequestRoute,
    TenantIssuers,
    TenantIssuanceService,
  ],
  exports: [QuotaService, IssuerKeyStore],
})
export class IssuanceModule {}
