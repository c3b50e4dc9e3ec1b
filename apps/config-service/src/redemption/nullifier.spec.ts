import { createHash } from 'node:crypto';
import { dayOf, forgetAt, tokenNullifier } from './nullifier';

describe('tokenNullifier', () => {
  it('is a 32-byte hash of the nonce, never the nonce itself, and differs per nonce', () => {
    const nonce = new Uint8Array(32).fill(7);
    const n = tokenNullifier(nonce);
    expect(n).toHaveLength(32);
    expect(n.equals(Buffer.from(nonce))).toBe(false);
    expect(n.equals(createHash('sha256').update(nonce).digest())).toBe(false);
    expect(tokenNullifier(new Uint8Array(32).fill(7)).equals(n)).toBe(true);
    expect(tokenNullifier(new Uint8Array(32).fill(8)).equals(n)).toBe(false);
  });
});

describe('forgetAt', () => {
  const day = 86_400;
  const midnight = Date.UTC(2026, 0, 10) / 1000;

  it('is the key not-before plus the TTL, rounded up to the next UTC midnight', () => {
    expect(dayOf(forgetAt(midnight + 1, midnight + day, 16 * day))).toBe('2026-01-27');
    expect(dayOf(forgetAt(midnight, midnight + day, 16 * day))).toBe('2026-01-26');
    expect(dayOf(forgetAt(midnight - 1, midnight + day, 16 * day))).toBe('2026-01-26');
  });

  it('does not depend on when the token is redeemed, only on its key', () => {
    const notBefore = midnight + 3 * 3600;
    const days = [0, 1, 5, 13].map((d) => dayOf(forgetAt(notBefore, notBefore + d * day + 4321, 16 * day)));
    expect(new Set(days)).toEqual(new Set(['2026-01-27']));
  });

  it('falls back to the redemption time, rounded up, when the directory gave no not-before', () => {
    expect(dayOf(forgetAt(0, midnight + 5, day))).toBe('2026-01-12');
  });
});
