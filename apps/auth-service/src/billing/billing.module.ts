import { Global, Module } from '@nestjs/common';
import { BillingController } from './billing.controller';
import { BillingService } from './billing.service';
import { StripeGateway } from './stripe.gateway';

@Global()
@Module({ controllers: [BillingController], providers: [StripeGateway, BillingService], exports: [StripeGateway] })
export class BillingModule {}
