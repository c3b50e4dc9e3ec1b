import { fail } from './assert';
import { WireGuardErrorCode } from './errors';

/**
 * The only source of randomness this library uses: returns `n` uniformly random bytes.
 * Production passes `crypto.randomBytes` (or `(n) => crypto.getRandomValues(new Uint8Array(n))`);
 * tests pass a seeded generator so every run is reproducible.
 */
export type RandomSource = (n: number) => Uint8Array;

// Rejection sampling fails with probability < 1/2 per round, so 128 rounds failing in a row means
// the source is broken (e.g. a test double stuck on 0xff), not unlucky. Falling back to a reduction
// keeps such a double from hanging a test; a real CSPRNG never reaches it.
const MAX_REJECTIONS = 128;

function readBytes(random: RandomSource, n: number): Uint8Array {
  const bytes = random(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, `random source must return a Uint8Array of ${n} bytes`);
  }
  return bytes;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/**
 * A uniformly random bigint in [0, n), by rejection sampling (no modulo bias).
 *
 * @throws {WireGuardError} INVALID_ARGUMENT if `n <= 0` or the source returns the wrong length
 * @example randomBelow(65_533n, randomBytes) // → 0n … 65_532n
 */
export function randomBelow(n: bigint, random: RandomSource): bigint {
  if (n <= 0n) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'randomBelow needs a positive bound');
  if (n === 1n) return 0n;
  const bits = (n - 1n).toString(2).length;
  const byteCount = Math.ceil(bits / 8);
  const mask = (1n << BigInt(bits)) - 1n;
  let candidate = 0n;
  for (let round = 0; round < MAX_REJECTIONS; round++) {
    candidate = bytesToBigInt(readBytes(random, byteCount)) & mask;
    if (candidate < n) return candidate;
  }
  return candidate % n;
}

/** A uniformly random float in [0, 1) with 53 bits of precision. */
export function randomUnit(random: RandomSource): number {
  const bytes = readBytes(random, 7);
  // 7 bytes = 56 bits; keep the top 53 so every double in [0, 1) on the 2^-53 grid is equally likely.
  const value = bytesToBigInt(bytes) >> 3n;
  return Number(value) / 2 ** 53;
}
