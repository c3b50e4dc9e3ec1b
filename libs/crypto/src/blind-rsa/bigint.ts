import { randomBytes } from 'node:crypto';
import { assertBytes } from '../asserts';
import { CryptoError, CryptoErrorCode } from '../errors';

/**
 * OS2IP (RFC 8017 §4.2): big-endian bytes to a non-negative integer.
 *
 * @param bytes - big-endian octets
 * @returns the integer
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not a Uint8Array
 * @example
 * ```ts
 * os2ip(Uint8Array.of(1, 0)); // 256n
 * ```
 */
export function os2ip(bytes: Uint8Array): bigint {
  assertBytes(bytes, 'bytes');
  if (bytes.length === 0) return 0n;
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
}

/**
 * I2OSP (RFC 8017 §4.1): a non-negative integer to exactly `length` big-endian bytes.
 *
 * @param x - the integer
 * @param length - output length in bytes
 * @returns `length` bytes
 * @throws {@link CryptoError} `MESSAGE_OUT_OF_RANGE` when `x` is negative or needs more than `length` bytes
 * @example
 * ```ts
 * i2osp(256n, 2); // Uint8Array [1, 0]
 * ```
 */
export function i2osp(x: bigint, length: number): Uint8Array {
  if (x < 0n) throw new CryptoError(CryptoErrorCode.MESSAGE_OUT_OF_RANGE, 'integer is negative');
  const hex = x.toString(16);
  if (hex.length > length * 2) {
    throw new CryptoError(CryptoErrorCode.MESSAGE_OUT_OF_RANGE, `integer too large for ${length} bytes`);
  }
  const buf = Buffer.from(hex.padStart(length * 2, '0'), 'hex');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Modular exponentiation by square-and-multiply. Variable time: use only with public exponents
 * or values that are already blinded.
 *
 * @param base - the base
 * @param exponent - a non-negative exponent
 * @param modulus - a modulus > 1
 * @returns base^exponent mod modulus
 * @throws {@link CryptoError} `INVALID_ARGUMENT` for a negative exponent or modulus < 2
 * @example
 * ```ts
 * modPow(4n, 13n, 497n); // 445n
 * ```
 */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (exponent < 0n || modulus < 2n) {
    throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'bad exponent or modulus');
  }
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/**
 * Greatest common divisor (Euclid).
 *
 * @param a - a non-negative integer
 * @param b - a non-negative integer
 * @returns gcd(a, b)
 * @throws never
 * @example
 * ```ts
 * gcd(12n, 18n); // 6n
 * ```
 */
export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/**
 * Modular inverse by the extended Euclidean algorithm.
 *
 * @param a - the value to invert
 * @param modulus - the modulus (> 1)
 * @returns x with a·x ≡ 1 (mod modulus), in [1, modulus)
 * @throws {@link CryptoError} `BLINDING_FAILED` when gcd(a, modulus) ≠ 1
 * @example
 * ```ts
 * modInverse(3n, 11n); // 4n
 * ```
 */
export function modInverse(a: bigint, modulus: bigint): bigint {
  let [oldR, r] = [((a % modulus) + modulus) % modulus, modulus];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new CryptoError(CryptoErrorCode.BLINDING_FAILED, 'value has no inverse');
  return ((oldS % modulus) + modulus) % modulus;
}

/**
 * A uniformly random integer in [1, n) by rejection sampling (RFC 9474 §4.2 `random_integer_uniform`).
 *
 * @param n - the exclusive upper bound (> 2)
 * @returns a random integer 1 ≤ r < n
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when n ≤ 2
 * @example
 * ```ts
 * const r = randomIntegerBelow(n);
 * ```
 */
export function randomIntegerBelow(n: bigint): bigint {
  if (n <= 2n) throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'bound too small');
  const bits = n.toString(2).length;
  const byteLen = Math.ceil(bits / 8);
  const excess = BigInt(byteLen * 8 - bits);
  for (;;) {
    const r = os2ip(randomBytes(byteLen)) >> excess;
    if (r >= 1n && r < n) return r;
  }
}
