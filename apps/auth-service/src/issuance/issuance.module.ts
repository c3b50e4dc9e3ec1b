import { Module } from '@nestjs/common';
import { APP_CONFIG, AuthConfig } from '../shared/tokens';
import { IssuanceController } from './issuance.controller';
import { IssuanceService } from './issuance.service';
import { IssuerKeysAdminController, IssuerKeysMessagesController } from './issuer-keys.controller';
import { IssuerKeysRepository } from './issuer-keys.repository';
import { ISSUER_KEK, IssuerKeysService } from './issuer-keys.service';
import { issuerKek } from './kek';
import { QuotaService } from './quota.service';
import { SignerPool } from './signer.pool';
import { TokenRequestRoute } from './token-request.route';

@Module({
  controllers: [IssuanceController, IssuerKeysAdminController, IssuerKeysMessagesController],
  providers: [
    { provide: ISSUER_KEK, inject: [APP_CONFIG], useFactory: (c: AuthConfig) => issuerKek(c.ISSUER_KEY_ENCRYPTION_KEY, c.NODE_ENV) },
    IssuerKeysRepository,
    IssuerKeysService,
    QuotaService,
    SignerPool,
    IssuanceService,
    TokenRequestRoute,
  ],
  exports: [QuotaService, IssuerKeysService],
})
export class IssuanceModule {}
