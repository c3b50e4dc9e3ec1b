import { KeyObject, createHash } from 'node:crypto';
import { assertBytes } from '../asserts';
import { rsaPublicInfo, rsaPublicKeyFromSpkiDer } from '../blind-rsa/rsa-key';
import { equalBytes, hexToBytes } from '../bytes';
import { derElement, derUnsignedInteger, readDer, readDerChildren } from '../der';
import { CryptoError, CryptoErrorCode, isCryptoError } from '../errors';
import { BLIND_RSA_NK, TOKEN_KEY_ID_LENGTH } from './constants';

// AlgorithmIdentifier { id-RSASSA-PSS, RSASSA-PSS-params { hashAlgorithm sha384,
// maskGenAlgorithm mgf1SHA384, saltLength 48 } } (RFC 4055 §3.1), with the hash identifiers
// written without NULL parameters, as RFC 9578 §6.5 and its test vectors publish them. Node's
// own `rsa-pss` export writes NULLs (346 bytes, a different key id), so this is written by hand.
const RSASSA_PSS_SHA384_ALGORITHM_ID = hexToBytes(
  '303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a301806092a864886f70d010108' +
    '300b0609608648016503040202a203020130',
);

/**
 * Encodes an RSA public key as the SubjectPublicKeyInfo that Privacy Pass publishes as `token-key`
 * (RFC 9578 §6.5): id-RSASSA-PSS with explicit SHA-384 / MGF1-SHA384 / salt 48 parameters.
 * 342 bytes for a 2048-bit key.
 *
 * @param key - an RSA public or private KeyObject (`rsa` or `rsa-pss`)
 * @returns the DER bytes
 * @throws {@link CryptoError} `INVALID_KEY` when the key is not RSA
 * @example
 * ```ts
 * const tokenKey = encodeTokenKey(publicKey); // 342 bytes
 * ```
 */
export function encodeTokenKey(key: KeyObject): Uint8Array {
  const { modulus, e } = rsaPublicInfo(key);
  const eHex = e.toString(16);
  const rsaPublicKey = derElement(
    0x30,
    derUnsignedInteger(modulus),
    derUnsignedInteger(hexToBytes(eHex.length % 2 ? '0' + eHex : eHex)),
  );
  return derElement(0x30, RSASSA_PSS_SHA384_ALGORITHM_ID, derElement(0x03, Uint8Array.of(0), rsaPublicKey));
}

/**
 * Parses a `token-key` for token type 2: exactly the RSASSA-PSS SHA-384 SubjectPublicKeyInfo of a
 * 2048-bit key, in the canonical form {@link encodeTokenKey} writes.
 *
 * @param tokenKey - SPKI DER bytes as published by the issuer
 * @returns a plain `rsa` public KeyObject
 * @throws {@link CryptoError} `INVALID_KEY` (other algorithm, parameters, size or encoding), `MALFORMED`
 * @example
 * ```ts
 * const publicKey = parseTokenKey(base64urlDecode(directory['token-keys'][0]['token-key']));
 * ```
 */
export function parseTokenKey(tokenKey: Uint8Array): KeyObject {
  assertBytes(tokenKey, 'token-key');
  try {
    const { element, next } = readDer(tokenKey, 0);
    const children = element.tag === 0x30 && next === tokenKey.length ? readDerChildren(element.value) : [];
    if (children.length !== 2 || !equalBytes(children[0].raw, RSASSA_PSS_SHA384_ALGORITHM_ID)) {
      throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'token-key is not an RSASSA-PSS SHA-384 SPKI');
    }
  } catch (err) {
    if (isCryptoError(err, CryptoErrorCode.MALFORMED)) {
      throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'token-key is not valid DER');
    }
    throw err;
  }
  const key = rsaPublicKeyFromSpkiDer(tokenKey);
  if (rsaPublicInfo(key).kLen !== BLIND_RSA_NK) {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'token type 2 needs a 2048-bit RSA key');
  }
  if (!equalBytes(encodeTokenKey(key), tokenKey)) {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'token-key is not canonically encoded');
  }
  return key;
}

/**
 * The token key id: SHA-256 over the published `token-key` bytes (RFC 9578 §6.5).
 *
 * @param tokenKey - the SPKI bytes exactly as published
 * @returns 32 bytes
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not bytes
 * @example
 * ```ts
 * const id = tokenKeyIdFromBytes(encodeTokenKey(publicKey));
 * ```
 */
export function tokenKeyIdFromBytes(tokenKey: Uint8Array): Uint8Array {
  assertBytes(tokenKey, 'token-key');
  return createHash('sha256').update(tokenKey).digest();
}

const keyIdCache = new WeakMap<KeyObject, Uint8Array>();

/**
 * The token key id of an RSA key (public or private): SHA-256 of its {@link encodeTokenKey}
 * encoding. Cached per KeyObject.
 *
 * @param key - an RSA KeyObject
 * @returns 32 bytes
 * @throws {@link CryptoError} `INVALID_KEY` when the key is not RSA
 * @example
 * ```ts
 * const id = tokenKeyId(issuerPrivateKey);
 * ```
 */
export function tokenKeyId(key: KeyObject): Uint8Array {
  let id = keyIdCache.get(key);
  if (!id) {
    id = tokenKeyIdFromBytes(encodeTokenKey(key));
    keyIdCache.set(key, id);
  }
  return Uint8Array.from(id);
}

/**
 * The truncated token key id: the last byte of the key id (RFC 9578 §6.1).
 *
 * @param keyId - a 32-byte token key id
 * @returns a number in 0..255
 * @throws {@link CryptoError} `INVALID_LENGTH` when the id is not 32 bytes
 * @example
 * ```ts
 * truncatedTokenKeyId(tokenKeyId(publicKey));
 * ```
 */
export function truncatedTokenKeyId(keyId: Uint8Array): number {
  assertBytes(keyId, 'token_key_id', TOKEN_KEY_ID_LENGTH);
  return keyId[TOKEN_KEY_ID_LENGTH - 1];
}
