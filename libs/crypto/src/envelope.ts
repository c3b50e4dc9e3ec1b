import { KeyObject, createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { assertBytes, assertString } from './asserts';
import { base64Decode, concatBytes, equalBytes, hexToBytes, randomBytes, utf8Encode } from './bytes';
import { CryptoError, CryptoErrorCode, isCryptoError } from './errors';
import { exportIssuerPrivateKey, importIssuerPrivateKey } from './issuer-keys';

/** Length of a key-encryption key (AES-256). */
export const KEK_LENGTH = 32;

// Envelope v1 layout:
//   magic "PXEK" (4) ‖ version 0x01 (1) ‖ algorithm 0x01 = AES-256-GCM (1) ‖ KEK fingerprint (8)
//   ‖ IV (12) ‖ ciphertext ‖ GCM tag (16)
// The GCM associated data is the first 14 bytes ‖ uint32 length of the caller's AD ‖ the AD, so
// the header cannot be altered and the blob cannot be moved to another key id's row.
const MAGIC = Uint8Array.of(0x50, 0x58, 0x45, 0x4b);
const VERSION = 1;
const ALG_AES_256_GCM = 1;
const FINGERPRINT_LENGTH = 8;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = MAGIC.length + 2 + FINGERPRINT_LENGTH;
/** Smallest possible envelope (empty plaintext). */
export const ENVELOPE_OVERHEAD = HEADER_LENGTH + IV_LENGTH + TAG_LENGTH;

/**
 * Parses a key-encryption key from configuration: 64 hex characters, or base64 / base64url
 * (padded or not) of exactly 32 bytes. Surrounding whitespace is ignored.
 *
 * @param text - the KEK as given in the environment
 * @returns 32 key bytes
 * @throws {@link CryptoError} `INVALID_ARGUMENT` (not a string), `INVALID_ENCODING` (neither hex nor
 *   base64), `INVALID_LENGTH` (decodes to other than 32 bytes)
 * @example
 * ```ts
 * const kek = parseKeyEncryptionKey(process.env.ISSUER_KEY_KEK ?? '');
 * ```
 */
export function parseKeyEncryptionKey(text: string): Uint8Array {
  assertString(text, 'key-encryption key');
  const t = text.trim();
  let key: Uint8Array;
  // All-hex text is hex, except at the 43/44 characters of base64 of 32 bytes (never valid hex for it).
  if (/^[0-9a-fA-F]+$/.test(t) && t.length !== 43 && t.length !== 44) {
    if (t.length % 2 !== 0) throw new CryptoError(CryptoErrorCode.INVALID_LENGTH, 'hex key-encryption key has odd length');
    key = hexToBytes(t);
  } else {
    if (/[-_]/.test(t) && /[+/]/.test(t)) {
      throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'key-encryption key mixes base64 alphabets');
    }
    // Accept both alphabets, padded or not; the padded standard form must then be canonical.
    const body = t.replace(/-/g, '+').replace(/_/g, '/');
    const unpadded = body.replace(/=+$/, '');
    const padded = unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4);
    try {
      if (body !== unpadded && body !== padded) throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'bad padding');
      key = base64Decode(padded);
    } catch (err) {
      if (isCryptoError(err)) {
        throw new CryptoError(CryptoErrorCode.INVALID_ENCODING, 'key-encryption key is neither hex nor base64');
      }
      throw err;
    }
  }
  if (key.length !== KEK_LENGTH) {
    throw new CryptoError(CryptoErrorCode.INVALID_LENGTH, `key-encryption key must be ${KEK_LENGTH} bytes, got ${key.length}`);
  }
  return key;
}

function assertKek(kek: Uint8Array): void {
  assertBytes(kek, 'key-encryption key', KEK_LENGTH);
}

/**
 * A short public fingerprint of a KEK, stored in envelopes so a wrong KEK is told apart from
 * tampering (HMAC-SHA256 keyed by the KEK over a fixed label, first 8 bytes).
 *
 * @param kek - 32-byte key-encryption key
 * @returns 8 bytes
 * @throws {@link CryptoError} `INVALID_LENGTH` / `INVALID_ARGUMENT` for a bad KEK
 * @example
 * ```ts
 * bytesToHex(kekFingerprint(kek)); // log which KEK is configured, safely
 * ```
 */
export function kekFingerprint(kek: Uint8Array): Uint8Array {
  assertKek(kek);
  return createHmac('sha256', kek).update('phoenix/envelope/kek-fingerprint/v1').digest().subarray(0, FINGERPRINT_LENGTH);
}

function associatedData(header: Uint8Array, ad: Uint8Array): Uint8Array {
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, ad.length);
  return concatBytes(header, len, ad);
}

function toAd(ad: Uint8Array | string): Uint8Array {
  if (typeof ad === 'string') return utf8Encode(ad);
  assertBytes(ad, 'associated data');
  return ad;
}

/**
 * Seals a secret with AES-256-GCM under a key-encryption key, bound to associated data (for
 * issuer keys: the key id). Output is a versioned, self-describing blob (see the layout above).
 *
 * @param plaintext - the secret
 * @param kek - 32-byte key-encryption key
 * @param ad - associated data the blob is bound to (bytes or a string, UTF-8)
 * @returns the envelope bytes
 * @throws {@link CryptoError} `INVALID_LENGTH` / `INVALID_ARGUMENT` for a bad KEK or inputs
 * @example
 * ```ts
 * const blob = encryptEnvelope(secret, kek, 'row-42');
 * ```
 */
export function encryptEnvelope(plaintext: Uint8Array, kek: Uint8Array, ad: Uint8Array | string): Uint8Array {
  assertBytes(plaintext, 'plaintext');
  assertKek(kek);
  const header = concatBytes(MAGIC, Uint8Array.of(VERSION, ALG_AES_256_GCM), kekFingerprint(kek));
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(associatedData(header, toAd(ad)));
  const ciphertext = concatBytes(cipher.update(plaintext), cipher.final());
  return concatBytes(header, iv, ciphertext, cipher.getAuthTag());
}

/**
 * Opens an envelope made by {@link encryptEnvelope}.
 *
 * @param envelope - the envelope bytes
 * @param kek - the 32-byte key-encryption key it was sealed under
 * @param ad - the same associated data it was sealed with
 * @returns the secret
 * @throws {@link CryptoError} `MALFORMED` (not an envelope), `UNSUPPORTED_VERSION`,
 *   `WRONG_KEY_ENCRYPTION_KEY` (sealed under another KEK), `DECRYPTION_FAILED` (wrong associated
 *   data or tampered bytes)
 * @example
 * ```ts
 * const secret = decryptEnvelope(blob, kek, 'row-42');
 * ```
 */
export function decryptEnvelope(envelope: Uint8Array, kek: Uint8Array, ad: Uint8Array | string): Uint8Array {
  assertBytes(envelope, 'envelope');
  assertKek(kek);
  const adBytes = toAd(ad);
  if (envelope.length < MAGIC.length + 2 || !equalBytes(envelope.subarray(0, MAGIC.length), MAGIC)) {
    throw new CryptoError(CryptoErrorCode.MALFORMED, 'not an envelope');
  }
  if (envelope[4] !== VERSION || envelope[5] !== ALG_AES_256_GCM) {
    throw new CryptoError(CryptoErrorCode.UNSUPPORTED_VERSION, `envelope version ${envelope[4]}/${envelope[5]} is not supported`);
  }
  if (envelope.length < ENVELOPE_OVERHEAD) throw new CryptoError(CryptoErrorCode.MALFORMED, 'envelope is truncated');
  const header = envelope.subarray(0, HEADER_LENGTH);
  if (!equalBytes(header.subarray(MAGIC.length + 2), kekFingerprint(kek))) {
    throw new CryptoError(CryptoErrorCode.WRONG_KEY_ENCRYPTION_KEY, 'envelope was sealed under another key-encryption key');
  }
  const iv = envelope.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH);
  const ciphertext = envelope.subarray(HEADER_LENGTH + IV_LENGTH, envelope.length - TAG_LENGTH);
  const tag = envelope.subarray(envelope.length - TAG_LENGTH);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_LENGTH });
    decipher.setAAD(associatedData(header, adBytes));
    decipher.setAuthTag(tag);
    return concatBytes(decipher.update(ciphertext), decipher.final());
  } catch {
    throw new CryptoError(CryptoErrorCode.DECRYPTION_FAILED, 'envelope does not authenticate (wrong key id or tampered)');
  }
}

/**
 * Seals an issuer private key for storage: PKCS#8 DER in an envelope bound to the key id.
 *
 * @param privateKey - the issuer's private KeyObject
 * @param kek - 32-byte key-encryption key (see {@link parseKeyEncryptionKey})
 * @param keyId - the key id the row is stored under (bytes or hex string)
 * @returns the envelope bytes
 * @throws {@link CryptoError} `INVALID_KEY` (not an issuer key), `INVALID_LENGTH` (KEK)
 * @example
 * ```ts
 * await repo.save({ keyId: key.keyIdHex, sealed: encryptIssuerPrivateKey(key.privateKey, kek, key.keyIdHex) });
 * ```
 */
export function encryptIssuerPrivateKey(privateKey: KeyObject, kek: Uint8Array, keyId: Uint8Array | string): Uint8Array {
  const der = exportIssuerPrivateKey(privateKey);
  try {
    return encryptEnvelope(der, kek, keyId);
  } finally {
    der.fill(0);
  }
}

/**
 * Opens an issuer private key sealed by {@link encryptIssuerPrivateKey}.
 *
 * @param envelope - the envelope bytes from storage
 * @param kek - the 32-byte key-encryption key
 * @param keyId - the key id of the row (must equal the one used when sealing)
 * @returns the private KeyObject
 * @throws {@link CryptoError} as {@link decryptEnvelope}, and `INVALID_KEY` if the contents are not an issuer key
 * @example
 * ```ts
 * const privateKey = decryptIssuerPrivateKey(row.sealed, kek, row.keyId);
 * ```
 */
export function decryptIssuerPrivateKey(envelope: Uint8Array, kek: Uint8Array, keyId: Uint8Array | string): KeyObject {
  const der = decryptEnvelope(envelope, kek, keyId);
  try {
    return importIssuerPrivateKey(der);
  } finally {
    der.fill(0);
  }
}
