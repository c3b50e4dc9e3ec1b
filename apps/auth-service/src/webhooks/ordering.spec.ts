import { isStale } from './ordering';

const t = (s: number) => new Date(s * 1000);

describe('isStale', () => {
  it.each([
    ['nothing stored yet', null, 10, 'active', false],
    ['newer event', { providerUpdatedAt: t(10), state: 'active' }, 11, 'past_due', false],
    ['older event', { providerUpdatedAt: t(10), state: 'past_due' }, 9, 'active', true],
    ['same second, not reviving an end', { providerUpdatedAt: t(10), state: 'active' }, 10, 'canceled', false],
    ['same second, reviving an end', { providerUpdatedAt: t(10), state: 'ended' }, 10, 'active', true],
    ['same second, end again', { providerUpdatedAt: t(10), state: 'ended' }, 10, 'ended', false],
    ['older event that only records a payment', { providerUpdatedAt: t(10), state: 'active' }, 5, null, true],
  ] as const)('%s → stale: %s', (_n, stored, at, next, stale) => {
    expect(isStale(stored, t(at), next)).toBe(stale);
  });
});
