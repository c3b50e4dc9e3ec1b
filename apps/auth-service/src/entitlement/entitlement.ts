// Entitlement as pure logic: what a user may do follows from the stored subscription facts and
// the clock, nothing else. No IO here; the table-driven spec covers every transition.

export type Provider = 'stripe' | 'apple' | 'trial';

/**
 * The provider-side state we store:
 * - `trialing` / `active`: running until `currentPeriodEnd`;
 * - `past_due`: a renewal payment failed; entitled during the grace period;
 * - `canceled`: will not renew, runs until `currentPeriodEnd`;
 * - `ended`: terminated (deleted, expired, refunded).
 */
export type SubscriptionState = 'trialing' | 'active' | 'past_due' | 'canceled' | 'ended';

/** What `GET /account/subscription` reports (API.md). */
export type SubscriptionStatus = 'none' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired';

export interface SubscriptionFacts {
  provider: Provider;
  state: SubscriptionState;
  plan: string | null;
  currentPeriodEnd: Date | null;
  /** When the first failed renewal was reported (start of the grace period). */
  pastDueSince: Date | null;
  /** An explicit end of the grace period from the provider (Apple's billing grace period). */
  graceUntil: Date | null;
  /** For tie-breaking between several subscriptions of one user. */
  providerUpdatedAt: Date;
}

export interface EntitlementPolicy {
  /** Days a `past_due` subscription stays entitled when the provider gives no explicit end. */
  pastDueGraceDays: number;
}

export interface Entitlement {
  status: SubscriptionStatus;
  entitled: boolean;
  /** Until when the current status entitles (null when not entitled). */
  entitledUntil: Date | null;
}

const DAY_MS = 86_400_000;

function before(now: Date, end: Date | null): boolean {
  return end !== null && now.getTime() < end.getTime();
}

/** The end of the grace period of a past-due subscription. */
export function graceEnd(facts: SubscriptionFacts, policy: EntitlementPolicy): Date | null {
  if (facts.graceUntil) return facts.graceUntil;
  const since = facts.pastDueSince ?? facts.currentPeriodEnd;
  return since ? new Date(since.getTime() + policy.pastDueGraceDays * DAY_MS) : null;
}

/**
 * Decides the status and entitlement of one subscription at `now`.
 *
 * An `active` subscription whose period ended without news of a renewal counts as `past_due`
 * (the renewal webhook may be late) and is entitled for the grace period after the period end.
 */
export function evaluateSubscription(facts: SubscriptionFacts | null, now: Date, policy: EntitlementPolicy): Entitlement {
  if (!facts) return { status: 'none', entitled: false, entitledUntil: null };
  switch (facts.state) {
    case 'trialing':
      return before(now, facts.currentPeriodEnd)
        ? { status: 'trialing', entitled: true, entitledUntil: facts.currentPeriodEnd }
        : { status: 'expired', entitled: false, entitledUntil: null };
    case 'active': {
      if (before(now, facts.currentPeriodEnd)) return { status: 'active', entitled: true, entitledUntil: facts.currentPeriodEnd };
      const end = facts.currentPeriodEnd ? new Date(facts.currentPeriodEnd.getTime() + policy.pastDueGraceDays * DAY_MS) : null;
      return before(now, end) ? { status: 'past_due', entitled: true, entitledUntil: end } : { status: 'expired', entitled: false, entitledUntil: null };
    }
    case 'past_due': {
      const end = graceEnd(facts, policy);
      return before(now, end) ? { status: 'past_due', entitled: true, entitledUntil: end } : { status: 'past_due', entitled: false, entitledUntil: null };
    }
    case 'canceled':
      return before(now, facts.currentPeriodEnd)
        ? { status: 'canceled', entitled: true, entitledUntil: facts.currentPeriodEnd }
        : { status: 'expired', entitled: false, entitledUntil: null };
    case 'ended':
      return { status: 'expired', entitled: false, entitledUntil: null };
    default: {
      const unreachable: never = facts.state;
      throw new Error(`unknown subscription state ${String(unreachable)}`);
    }
  }
}

export interface ResolvedEntitlement extends Entitlement {
  /** The subscription the answer is about (null when the user has none). */
  subscription: SubscriptionFacts | null;
}

/**
 * The user's entitlement across all their subscriptions (a trial and a paid plan may coexist):
 * an entitled one wins, the one entitled longest first; otherwise the most recently updated
 * explains the status.
 */
export function resolveEntitlement(subscriptions: readonly SubscriptionFacts[], now: Date, policy: EntitlementPolicy): ResolvedEntitlement {
  let best: ResolvedEntitlement = { ...evaluateSubscription(null, now, policy), subscription: null };
  for (const s of subscriptions) {
    const e = { ...evaluateSubscription(s, now, policy), subscription: s };
    if (!best.subscription) {
      best = e;
    } else if (e.entitled !== best.entitled) {
      if (e.entitled) best = e;
    } else if (e.entitled) {
      // Paid plans before the trial when both entitle; then the one that lasts longer.
      const rank = (x: ResolvedEntitlement) => (x.subscription?.provider === 'trial' ? 0 : 1);
      if (rank(e) > rank(best) || (rank(e) === rank(best) && (e.entitledUntil?.getTime() ?? 0) > (best.entitledUntil?.getTime() ?? 0))) best = e;
    } else if (s.providerUpdatedAt.getTime() > best.subscription.providerUpdatedAt.getTime()) {
      best = e;
    }
  }
  return best;
}
