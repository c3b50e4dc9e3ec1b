import { EntitlementPolicy, SubscriptionFacts, SubscriptionState, evaluateSubscription, resolveEntitlement } from './entitlement';

const DAY = 86_400_000;
const NOW = new Date('2026-03-10T12:00:00Z');
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const policy: EntitlementPolicy = { pastDueGraceDays: 3 };

function facts(state: SubscriptionState, over: Partial<SubscriptionFacts> = {}): SubscriptionFacts {
  return { provider: 'stripe', state, plan: 'monthly', currentPeriodEnd: at(10), pastDueSince: null, graceUntil: null, providerUpdatedAt: at(-1), ...over };
}

describe('evaluateSubscription', () => {
  it.each<[string, SubscriptionFacts | null, string, boolean]>([
    ['no subscription', null, 'none', false],
    ['trial running', facts('trialing', { provider: 'trial', currentPeriodEnd: at(2) }), 'trialing', true],
    ['trial over', facts('trialing', { provider: 'trial', currentPeriodEnd: at(-0.001) }), 'expired', false],
    ['trial ending exactly now', facts('trialing', { provider: 'trial', currentPeriodEnd: NOW }), 'expired', false],
    ['trial without end', facts('trialing', { provider: 'trial', currentPeriodEnd: null }), 'expired', false],
    ['active in period', facts('active'), 'active', true],
    ['active, period just ended, renewal not yet reported', facts('active', { currentPeriodEnd: at(-1) }), 'past_due', true],
    ['active, period ended beyond grace', facts('active', { currentPeriodEnd: at(-3.01) }), 'expired', false],
    ['active without period end', facts('active', { currentPeriodEnd: null }), 'expired', false],
    ['past_due within grace (since)', facts('past_due', { pastDueSince: at(-2) }), 'past_due', true],
    ['past_due beyond grace (since)', facts('past_due', { pastDueSince: at(-3.5) }), 'past_due', false],
    ['past_due, no since: grace counts from period end', facts('past_due', { currentPeriodEnd: at(-1) }), 'past_due', true],
    ['past_due, no since, period end long ago', facts('past_due', { currentPeriodEnd: at(-5) }), 'past_due', false],
    ['past_due with explicit grace end ahead', facts('past_due', { pastDueSince: at(-30), graceUntil: at(1) }), 'past_due', true],
    ['past_due with explicit grace end passed', facts('past_due', { pastDueSince: at(-0.5), graceUntil: at(-0.1) }), 'past_due', false],
    ['past_due with nothing to count from', facts('past_due', { currentPeriodEnd: null }), 'past_due', false],
    ['canceled, until period end', facts('canceled', { currentPeriodEnd: at(4) }), 'canceled', true],
    ['canceled, period over', facts('canceled', { currentPeriodEnd: at(-1) }), 'expired', false],
    ['ended even with a future period end', facts('ended', { currentPeriodEnd: at(20) }), 'expired', false],
  ])('%s → %s (entitled: %s)', (_name, f, status, entitled) => {
    const e = evaluateSubscription(f, NOW, policy);
    expect(e.status).toBe(status);
    expect(e.entitled).toBe(entitled);
    expect(e.entitledUntil === null).toBe(!entitled);
  });

  it('grace of zero days ends entitlement at the failed payment', () => {
    expect(evaluateSubscription(facts('past_due', { pastDueSince: at(-0.001) }), NOW, { pastDueGraceDays: 0 }).entitled).toBe(false);
    expect(evaluateSubscription(facts('active', { currentPeriodEnd: at(-0.001) }), NOW, { pastDueGraceDays: 0 }).status).toBe('expired');
  });

  it('reports until when an entitled status lasts', () => {
    expect(evaluateSubscription(facts('past_due', { pastDueSince: at(-1) }), NOW, policy).entitledUntil).toEqual(at(2));
    expect(evaluateSubscription(facts('canceled', { currentPeriodEnd: at(4) }), NOW, policy).entitledUntil).toEqual(at(4));
  });

  // The whole lifecycle, stepping the clock: trial → active → past_due → grace over → paid again → canceled → expired.
  it('walks a subscription through its lifecycle', () => {
    const steps: Array<[SubscriptionFacts, Date, string, boolean]> = [
      [facts('trialing', { provider: 'trial', currentPeriodEnd: at(7) }), at(0), 'trialing', true],
      [facts('trialing', { provider: 'trial', currentPeriodEnd: at(7) }), at(7), 'expired', false],
      [facts('active', { currentPeriodEnd: at(37) }), at(8), 'active', true],
      [facts('past_due', { currentPeriodEnd: at(37), pastDueSince: at(37) }), at(38), 'past_due', true],
      [facts('past_due', { currentPeriodEnd: at(37), pastDueSince: at(37) }), at(41), 'past_due', false],
      [facts('active', { currentPeriodEnd: at(72) }), at(42), 'active', true],
      [facts('canceled', { currentPeriodEnd: at(72) }), at(50), 'canceled', true],
      [facts('canceled', { currentPeriodEnd: at(72) }), at(72), 'expired', false],
      [facts('ended', { currentPeriodEnd: at(72) }), at(73), 'expired', false],
    ];
    for (const [f, now, status, entitled] of steps) {
      expect(evaluateSubscription(f, now, policy)).toMatchObject({ status, entitled });
    }
  });
});

describe('resolveEntitlement', () => {
  it('is none without subscriptions', () => {
    expect(resolveEntitlement([], NOW, policy)).toMatchObject({ status: 'none', entitled: false, subscription: null });
  });

  it('prefers an entitled subscription over an expired one', () => {
    const trial = facts('trialing', { provider: 'trial', currentPeriodEnd: at(-1), providerUpdatedAt: at(0) });
    const paid = facts('active', { currentPeriodEnd: at(20), providerUpdatedAt: at(-5) });
    expect(resolveEntitlement([trial, paid], NOW, policy)).toMatchObject({ status: 'active', entitled: true, subscription: paid });
  });

  it('prefers a paid plan over a running trial', () => {
    const trial = facts('trialing', { provider: 'trial', currentPeriodEnd: at(6) });
    const paid = facts('active', { currentPeriodEnd: at(2) });
    expect(resolveEntitlement([trial, paid], NOW, policy).subscription).toBe(paid);
  });

  it('among entitled paid plans, picks the one lasting longest', () => {
    const a = facts('active', { currentPeriodEnd: at(2) });
    const b = facts('active', { provider: 'apple', currentPeriodEnd: at(9) });
    expect(resolveEntitlement([a, b], NOW, policy).subscription).toBe(b);
  });

  it('when none entitles, explains with the most recently updated', () => {
    const old = facts('ended', { providerUpdatedAt: at(-10) });
    const recent = facts('past_due', { pastDueSince: at(-9), providerUpdatedAt: at(-2) });
    expect(resolveEntitlement([old, recent], NOW, policy)).toMatchObject({ status: 'past_due', entitled: false, subscription: recent });
  });
});
