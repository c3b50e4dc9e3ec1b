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
 * The instant (unix seconds, the start of a UTC day) from which a token signed by a key can no
 * longer be redeemed, so its spend may be forgotten — the Redis mark expires then and the
 * nullifier row is deleted from that day: the key's not-before plus `ttlSec` (which must exceed the
 * time any key stays listed), rounded up to a whole day. It depends on the key only, never on the
 * moment of redemption: every token of one key gets the same instant, so neither the mark's TTL nor
 * the row tells when a token was redeemed or can be matched to a lease by time. A directory that
 * gave no not-before falls back to `nowSec`, rounded up the same way.
 */
export function forgetAt(keyNotBeforeSec: number, nowSec: number, ttlSec: number): number {
  const from = keyNotBeforeSec > 0 ? keyNotBeforeSec : nowSec;
  return Math.ceil((from + ttlSec) / DAY_SEC) * DAY_SEC;
}

/** `YYYY-MM-DD` of a unix time. */
export function dayOf(unixSec: number): string {
  return new Date(unixSec * 1000).toISOString().slice(0, 10);
}
