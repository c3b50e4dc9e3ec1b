import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { assertBytes } from './asserts';
import { concatBytes, randomBytes } from './bytes';
import { CryptoError, CryptoErrorCode } from './errors';

/** Curve25519 key length. */
export const BOX_KEY_LENGTH = 32;
/** Bytes a sealed box adds to its message: ephemeral public key (32) + Poly1305 tag (16). */
export const SEALED_BOX_OVERHEAD = 48;

/** An X25519 key pair for sealed boxes (raw bytes, as libsodium's crypto_box_keypair). */
export interface BoxKeyPair {
  readonly publicKey: Uint8Array;
  /** Secret. */
  readonly secretKey: Uint8Array;
}

// "expand 32-byte k" as little-endian words (Salsa20 sigma).
const SIGMA = new Uint32Array(new Uint8Array(Buffer.from('expand 32-byte k', 'ascii')).buffer);

// crypto_box_beforenm: k = HSalsa20(X25519(sk, pk), nonce = 0^16) (NaCl, "Cryptography in NaCl" §7).
// Word views assume a little-endian host, as every platform Node ships on is.
function boxSharedKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    // All-zero shared secret (low-order public key); libsodium refuses these too.
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'X25519 with this public key gives no shared secret');
  }
  const k32 = new Uint32Array(Uint8Array.from(shared).buffer);
  const out = new Uint32Array(8);
  hsalsa(SIGMA, k32, new Uint32Array(4), out);
  shared.fill(0);
  k32.fill(0);
  return new Uint8Array(out.buffer);
}

// crypto_box_seal nonce: BLAKE2b-192(ephemeral_pk ‖ recipient_pk) (libsodium crypto_box_seal).
function sealNonce(ephemeralPk: Uint8Array, recipientPk: Uint8Array): Uint8Array {
  return blake2b(concatBytes(ephemeralPk, recipientPk), { dkLen: 24 });
}

/**
 * Generates an X25519 key pair for sealed boxes.
 *
 * @returns raw 32-byte public and secret keys
 * @throws never
 * @example
 * ```ts
 * const { publicKey, secretKey } = generateBoxKeyPair();
 * ```
 */
export function generateBoxKeyPair(): BoxKeyPair {
  const secretKey = randomBytes(BOX_KEY_LENGTH);
  return { publicKey: x25519.getPublicKey(secretKey), secretKey };
}

/**
 * Encrypts a message to a public key anonymously, byte-compatible with libsodium's
 * `crypto_box_seal`: ephemeral_pk ‖ XSalsa20-Poly1305 box (tag ‖ ciphertext).
 *
 * @param message - the plaintext
 * @param recipientPublicKey - the recipient's 32-byte X25519 public key
 * @returns the sealed box, message length + 48 bytes
 * @throws {@link CryptoError} `INVALID_LENGTH` / `INVALID_ARGUMENT` for bad inputs, `INVALID_KEY` for a low-order key
 * @example
 * ```ts
 * const sealed = sealBox(new TextEncoder().encode('peer added'), nodePublicKey);
 * ```
 */
export function sealBox(message: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
  assertBytes(message, 'message');
  assertBytes(recipientPublicKey, 'recipient public key', BOX_KEY_LENGTH);
  const ephemeralSk = randomBytes(BOX_KEY_LENGTH);
  const ephemeralPk = x25519.getPublicKey(ephemeralSk);
  const key = boxSharedKey(ephemeralSk, recipientPublicKey);
  ephemeralSk.fill(0);
  const box = xsalsa20poly1305(key, sealNonce(ephemeralPk, recipientPublicKey)).encrypt(message);
  key.fill(0);
  return concatBytes(ephemeralPk, box);
}

/**
 * Opens a sealed box, byte-compatible with libsodium's `crypto_box_seal_open`.
 *
 * @param sealed - the sealed box
 * @param recipientPublicKey - the recipient's 32-byte public key
 * @param recipientSecretKey - the recipient's 32-byte secret key
 * @returns the plaintext
 * @throws {@link CryptoError} `INVALID_LENGTH` (box shorter than 48 bytes or bad key sizes),
 *   `DECRYPTION_FAILED` (wrong keys or tampered), `INVALID_KEY` (low-order ephemeral key)
 * @example
 * ```ts
 * const message = openSealedBox(sealed, publicKey, secretKey);
 * ```
 */
export function openSealedBox(sealed: Uint8Array, recipientPublicKey: Uint8Array, recipientSecretKey: Uint8Array): Uint8Array {
  assertBytes(sealed, 'sealed box');
  assertBytes(recipientPublicKey, 'recipient public key', BOX_KEY_LENGTH);
  assertBytes(recipientSecretKey, 'recipient secret key', BOX_KEY_LENGTH);
  if (sealed.length < SEALED_BOX_OVERHEAD) {
    throw new CryptoError(CryptoErrorCode.INVALID_LENGTH, `sealed box must be at least ${SEALED_BOX_OVERHEAD} bytes`);
  }
  const ephemeralPk = sealed.subarray(0, BOX_KEY_LENGTH);
  const key = boxSharedKey(recipientSecretKey, ephemeralPk);
  try {
    return xsalsa20poly1305(key, sealNonce(ephemeralPk, recipientPublicKey)).decrypt(sealed.subarray(BOX_KEY_LENGTH));
  } catch {
    throw new CryptoError(CryptoErrorCode.DECRYPTION_FAILED, 'sealed box does not open with this key');
  } finally {
    key.fill(0);
  }
}
