import type { SubscriptionState } from '../entitlement/entitlement';

/**
 * Whether an event about a subscription is older than the state already stored, and so must
 * not overwrite it (API.md: "an older event never overwrites newer state"). Providers stamp
 * events in whole seconds (Stripe) or milliseconds (Apple): on a tie, an end is final — a
 * same-second "updated" never revives an ended subscription.
 */
export function isStale(stored: { providerUpdatedAt: Date; state: SubscriptionState } | null, eventTime: Date, nextState: SubscriptionState | null): boolean {
  if (!stored) return false;
  const a = eventTime.getTime();
  const b = stored.providerUpdatedAt.getTime();
  if (a < b) return true;
  if (a > b) return false;
  return stored.state === 'ended' && nextState !== 'ended';
}
