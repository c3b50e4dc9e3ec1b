import { Inject, Injectable } from '@nestjs/common';
import { EntitlementPolicy, ResolvedEntitlement, resolveEntitlement } from '../entitlement/entitlement';
import { Clock } from '../shared/clock';
import { APP_CONFIG, AuthConfig } from '../shared/tokens';
import { SubscriptionsRepository, toFacts } from './subscriptions.repository';

/** The subscription as `GET /account/subscription` shows it (API.md). */
export interface SubscriptionView {
  status: 'none' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired';
  plan: string | null;
  provider: 'stripe' | 'apple' | 'trial' | null;
  currentPeriodEnd: string | null;
  entitled: boolean;
}

export function subscriptionView(e: ResolvedEntitlement): SubscriptionView {
  return {
    status: e.status,
    plan: e.subscription?.plan ?? null,
    provider: e.subscription?.provider ?? null,
    currentPeriodEnd: e.subscription?.currentPeriodEnd?.toISOString() ?? null,
    entitled: e.entitled,
  };
}

/** Applies the pure entitlement rules to what is stored, at the clock's now. */
@Injectable()
export class EntitlementService {
  readonly policy: EntitlementPolicy;

  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AuthConfig,
  ) {
    this.policy = { pastDueGraceDays: config.PAST_DUE_GRACE_DAYS };
  }

  async forUser(userId: string): Promise<ResolvedEntitlement> {
    const subs = await this.subscriptions.listForUser(userId);
    return resolveEntitlement(subs.map(toFacts), this.clock.now(), this.policy);
  }
}
