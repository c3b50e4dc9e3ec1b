import { Global, Module } from '@nestjs/common';
import { EntitlementService } from './entitlement.service';

/** Entitlement, decided in one place. Global: issuance, account, billing and webhooks ask it. */
@Global()
@Module({ providers: [EntitlementService], exports: [EntitlementService] })
export class EntitlementModule {}
