import { createHash } from 'node:crypto';
import { assertBytes, assertInteger } from '../asserts';
import { CryptoError, CryptoErrorCode } from '../errors';

/** SHA-384 output length (hLen). */
export const SHA384_LENGTH = 48;

function sha384(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha384');
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * MGF1 with SHA-384 (RFC 8017 §B.2.1).
 *
 * @param seed - the seed
 * @param maskLength - mask length in bytes
 * @returns `maskLength` bytes of mask
 * @throws {@link CryptoError} `INVALID_ARGUMENT` for a bad seed or negative length
 * @example
 * ```ts
 * const mask = mgf1Sha384(h, emLen - 48 - 1);
 * ```
 */
export function mgf1Sha384(seed: Uint8Array, maskLength: number): Uint8Array {
  assertBytes(seed, 'seed');
  assertInteger(maskLength, 'maskLength', 0, 0x7fffffff);
  const out = new Uint8Array(Math.ceil(maskLength / SHA384_LENGTH) * SHA384_LENGTH);
  const counter = new Uint8Array(4);
  for (let i = 0, off = 0; off < maskLength; i++, off += SHA384_LENGTH) {
    new DataView(counter.buffer).setUint32(0, i);
    out.set(sha384(seed, counter), off);
  }
  return out.subarray(0, maskLength);
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-384 and MGF1-SHA384; the salt is supplied by the
 * caller so the encoding is a pure function (its length is sLen, 0 for the PSSZERO variants).
 *
 * @param message - the message M
 * @param emBits - maximal bit length of the integer representative, bit_len(n) - 1
 * @param salt - the salt
 * @returns the encoded message EM, ceil(emBits / 8) bytes
 * @throws {@link CryptoError} `ENCODING_ERROR` when emLen < hLen + sLen + 2
 * @example
 * ```ts
 * const em = emsaPssEncode(msg, 2047, randomBytes(48));
 * ```
 */
export function emsaPssEncode(message: Uint8Array, emBits: number, salt: Uint8Array): Uint8Array {
  assertBytes(message, 'message');
  assertBytes(salt, 'salt');
  assertInteger(emBits, 'emBits', 1, 1 << 20);
  const hLen = SHA384_LENGTH;
  const sLen = salt.length;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + sLen + 2) {
    throw new CryptoError(CryptoErrorCode.ENCODING_ERROR, 'modulus too small for EMSA-PSS with this salt');
  }
  const mHash = sha384(message);
  const h = sha384(new Uint8Array(8), mHash, salt);
  // DB = PS ‖ 0x01 ‖ salt, with PS the zero bytes before the separator.
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - sLen - hLen - 2] = 0x01;
  db.set(salt, emLen - sLen - hLen - 1);
  const mask = mgf1Sha384(h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >>> (8 * emLen - emBits);
  const em = new Uint8Array(emLen);
  em.set(db, 0);
  em.set(h, db.length);
  em[emLen - 1] = 0xbc;
  return em;
}
