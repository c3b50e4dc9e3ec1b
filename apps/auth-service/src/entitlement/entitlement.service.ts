import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig } from '@phoenix/common';
import type { FirebaseIdentity } from '../identity/firebase.adapter';
import { UsersRepository } from '../identity/users.repository';
import type { AuthConfig } from '../config';
import { SubscriptionsRepository, toFacts } from '../subscriptions/subscriptions.repository';
import { EntitlementPolicy, ResolvedEntitlement, resolveEntitlement } from './entitlement';
import { EntitlementCache } from './entitlement.cache';

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

/**
 * The one place that decides entitlement: the pure rules of `entitlement.ts` applied to what is
 * stored, at the clock's now. Issuance, account and billing ask it; every local change to
 * subscriptions tells it ({@link EntitlementService.subscriptionsChanged}).
 */
@Injectable()
export class EntitlementService {
  private readonly policy: EntitlementPolicy;
  private readonly cache: EntitlementCache;

  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
    @InjectConfig() config: AuthConfig,
  ) {
    this.policy = { pastDueGraceDays: config.PAST_DUE_GRACE_DAYS };
    this.cache = new EntitlementCache(config.ENTITLEMENT_CACHE_MS);
  }

  /** The user's entitlement and the subscription that explains it (account and billing). */
  async forUser(userId: string): Promise<ResolvedEntitlement> {
    const subs = await this.subscriptions.listForUser(userId);
    return resolveEntitlement(subs.map(toFacts), this.clock.now(), this.policy);
  }

  /**
   * The issuance hot path: the user id of an entitled caller, from one query (or the short-lived
   * cache of positive answers). A caller never seen before is created, then refused.
   *
   * @throws AppError `NOT_ENTITLED` when no subscription or trial entitles the caller now
   */
  async entitledUserId(identity: FirebaseIdentity): Promise<string> {
    const nowMs = this.clock.nowMs();
    const cached = this.cache.get(identity.uid, nowMs);
    if (cached) return cached;
    const found = await this.subscriptions.factsForFirebaseUid(identity.uid);
    if (!found) {
      await this.users.ensure(identity);
      throw new AppError(ErrorCode.NOT_ENTITLED, 'no active subscription or trial');
    }
    const e = resolveEntitlement(found.facts, this.clock.now(), this.policy);
    if (!e.entitled) throw new AppError(ErrorCode.NOT_ENTITLED, 'no active subscription or trial');
    this.cache.remember(identity.uid, found.userId, nowMs, e.entitledUntil);
    return found.userId;
  }

  /** A subscription changed (webhook, erasure): forget every cached positive answer. */
  subscriptionsChanged(): void {
    this.cache.clear();
  }
}
