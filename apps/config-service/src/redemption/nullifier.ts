import { createHash } from 'node:crypto';

const DAY_SEC = 86_400;
const LABEL = 'phoenix/spent-token/v1';

/**
 * The durable record of a spend: SHA-256 over a label and the token's nonce — the value Redis keys
 * the spend on (`spent:<nonce hex>`), so both stores agree on what "the same token" is. The
 * database holds this hash, never the nonce or the token.
 */
export function tokenNullifier(nonce: Uint8Array): Buffer {
  return createHash('sha256').update(LABEL).update(nonce).digest();
}

/**
 * The UTC day (`YYYY-MM-DD`) from whose start a token signed by a key can no longer be redeemed,
 * so its nullifier may be deleted: the key's not-before plus `ttlSec` (which, like the Redis TTL,
 * must exceed the time any key stays listed), rounded up to a whole day. It depends on the key
 * only, never on the moment of redemption: every token of one key gets the same day, so the row
 * cannot be matched to a lease by its time. A directory that gave no not-before falls back to
 * `nowSec`, rounded up the same way.
 */
export function forgetOn(keyNotBeforeSec: number, nowSec: number, ttlSec: number): string {
  const from = keyNotBeforeSec > 0 ? keyNotBeforeSec : nowSec;
  const day = Math.ceil((from + ttlSec) / DAY_SEC);
  return new Date(day * DAY_SEC * 1000).toISOString().slice(0, 10);
}
