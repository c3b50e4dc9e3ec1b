import { x25519 } from '@noble/curves/ed25519.js';
import { assertBytes, assertString } from './asserts';
import { base64Encode, randomBytes } from './bytes';
import { CryptoError, CryptoErrorCode } from './errors';

/** Length of a WireGuard (Curve25519) key. */
export const WIREGUARD_KEY_LENGTH = 32;

// 32 bytes in padded base64 are 44 characters: 42 free, then one whose low 2 bits must be zero
// (canonical), then '='. This is the only form `wg` prints.
const CANONICAL_KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** A WireGuard key pair in the base64 form `wg` and wg-quick use. */
export interface WireGuardKeyPair {
  /** Private key, 44 characters of base64 (secret). */
  readonly privateKey: string;
  /** Public key, 44 characters of base64. */
  readonly publicKey: string;
}

/**
 * Parses a WireGuard key: exactly 44 characters of canonical, padded standard base64 of 32 bytes.
 * Anything else (url alphabet, missing padding, whitespace, non-zero trailing bits) is rejected.
 *
 * @param text - the base64 key
 * @returns 32 key bytes
 * @throws {@link CryptoError} `INVALID_ARGUMENT` (not a string), `INVALID_ENCODING` (not canonical base64 of 32 bytes)
 * @example
 * ```ts
 * const pk = parseWireGuardKey('xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=');
 * ```
 */
export function parseWireGuardKey(text: string): Uint8Array {
  assertString(text, 'WireGuard key');
  if (!CANONICAL_KEY_RE.test(text)) {
    throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'WireGuard keys are 44 characters of canonical base64');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * Whether `text` is a well-formed WireGuard key (see {@link parseWireGuardKey}).
 *
 * @param text - candidate key
 * @returns true when it parses
 * @throws never
 * @example
 * ```ts
 * if (!isWireGuardKey(body.publicKey)) return reply.code(400).send();
 * ```
 */
export function isWireGuardKey(text: unknown): text is string {
  return typeof text === 'string' && CANONICAL_KEY_RE.test(text);
}

/**
 * Encodes 32 key bytes as WireGuard's base64.
 *
 * @param key - 32 bytes
 * @returns 44 characters of padded base64
 * @throws {@link CryptoError} `INVALID_LENGTH` / `INVALID_ARGUMENT` when not 32 bytes
 * @example
 * ```ts
 * encodeWireGuardKey(x25519.getPublicKey(secret));
 * ```
 */
export function encodeWireGuardKey(key: Uint8Array): string {
  assertBytes(key, 'WireGuard key', WIREGUARD_KEY_LENGTH);
  return base64Encode(key);
}

/**
 * Derives the public key of a WireGuard private key (what `wg pubkey` does).
 *
 * @param privateKey - base64 private key
 * @returns base64 public key
 * @throws {@link CryptoError} `INVALID_ENCODING` when the private key is not a canonical key
 * @example
 * ```ts
 * deriveWireGuardPublicKey(readFileSync('/etc/wireguard/private.key', 'utf8').trim());
 * ```
 */
export function deriveWireGuardPublicKey(privateKey: string): string {
  return encodeWireGuardKey(x25519.getPublicKey(parseWireGuardKey(privateKey)));
}

/**
 * Generates a WireGuard key pair. The private key is clamped exactly as `wg genkey` clamps it
 * (RFC 7748 §5), so it round-trips through `wg` unchanged.
 *
 * @returns the key pair in base64
 * @throws never
 * @example
 * ```ts
 * const { privateKey, publicKey } = generateWireGuardKeyPair();
 * ```
 */
export function generateWireGuardKeyPair(): WireGuardKeyPair {
  const secret = randomBytes(WIREGUARD_KEY_LENGTH);
  secret[0] &= 248;
  secret[31] = (secret[31] & 127) | 64;
  const pair = { privateKey: encodeWireGuardKey(secret), publicKey: encodeWireGuardKey(x25519.getPublicKey(secret)) };
  secret.fill(0);
  return pair;
}
