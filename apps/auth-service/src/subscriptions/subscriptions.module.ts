import { Global, Module } from '@nestjs/common';
import { EntitlementCache } from './entitlement.cache';
import { EntitlementService } from './entitlement.service';
import { SubscriptionsRepository } from './subscriptions.repository';

@Global()
@Module({ providers: [SubscriptionsRepository, EntitlementService, EntitlementCache], exports: [SubscriptionsRepository, EntitlementService, EntitlementCache] })
export class SubscriptionsModule {}
