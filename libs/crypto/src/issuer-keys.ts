import { KeyObject, createPrivateKey, generateKeyPair } from 'node:crypto';
import { assertBytes } from './asserts';
import { rsaPublicInfo, rsaPublicKeyFromSpkiDer } from './blind-rsa/rsa-key';
import { bytesToHex } from './bytes';
import { CryptoError, CryptoErrorCode } from './errors';
import { BLIND_RSA_NK } from './privacypass/constants';
import { encodeTokenKey, tokenKeyId } from './privacypass/spki';

/** Modulus size of issuer keys (token type 2 fixes Nk = 256 bytes). */
export const ISSUER_KEY_BITS = 2048;
/** Public exponent of issuer keys. */
export const ISSUER_KEY_EXPONENT = 65537;

/** An issuer key with everything derived from it. */
export interface IssuerKeyPair {
  /** Plain `rsa` private KeyObject (OpenSSL keeps the CRT parameters). */
  readonly privateKey: KeyObject;
  /** Plain `rsa` public KeyObject. */
  readonly publicKey: KeyObject;
  /** The 342-byte RSASSA-PSS SPKI published as `token-key` in the issuer directory. */
  readonly tokenKey: Uint8Array;
  /** SHA-256 of `tokenKey` (RFC 9578 §6.5): names the key in tokens and in storage. */
  readonly keyId: Uint8Array;
  /** `keyId` as lowercase hex, for database columns and logs. */
  readonly keyIdHex: string;
}

function assertIssuerKey(key: KeyObject): void {
  const { kLen, modulusBits, e } = rsaPublicInfo(key);
  if (kLen !== BLIND_RSA_NK || modulusBits !== ISSUER_KEY_BITS || e !== BigInt(ISSUER_KEY_EXPONENT)) {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'issuer keys are 2048-bit RSA with e = 65537');
  }
}

/**
 * Builds the derived values of an issuer key from its private key.
 *
 * @param privateKey - a 2048-bit RSA private KeyObject with e = 65537
 * @returns the key pair, token-key and key id
 * @throws {@link CryptoError} `INVALID_KEY` when the key is not a 2048-bit RSA private key with e = 65537
 * @example
 * ```ts
 * const { keyIdHex, tokenKey } = issuerKeyPairFromPrivateKey(importIssuerPrivateKey(der));
 * ```
 */
export function issuerKeyPairFromPrivateKey(privateKey: KeyObject): IssuerKeyPair {
  if (!(privateKey instanceof KeyObject) || privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'expected an rsa private KeyObject');
  }
  assertIssuerKey(privateKey);
  const keyId = tokenKeyId(privateKey);
  return {
    privateKey,
    publicKey: rsaPublicInfo(privateKey).publicKey,
    tokenKey: encodeTokenKey(privateKey),
    keyId,
    keyIdHex: bytesToHex(keyId),
  };
}

/**
 * Generates a fresh issuer key: RSA-2048, e = 65537, off the event loop.
 *
 * @returns the key pair, token-key and key id
 * @throws never (OpenSSL failures reject the promise)
 * @example
 * ```ts
 * const issuerKey = await generateIssuerKeyPair();
 * ```
 */
export async function generateIssuerKeyPair(): Promise<IssuerKeyPair> {
  const privateKey = await new Promise<KeyObject>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: ISSUER_KEY_BITS, publicExponent: ISSUER_KEY_EXPONENT }, (err, _pk, sk) =>
      err ? reject(err) : resolve(sk),
    ),
  );
  return issuerKeyPairFromPrivateKey(privateKey);
}

/**
 * Exports an issuer private key as PKCS#8 DER (seal it with {@link encryptIssuerPrivateKey} before storing).
 *
 * @param privateKey - the issuer's private KeyObject
 * @returns PKCS#8 DER bytes (secret)
 * @throws {@link CryptoError} `INVALID_KEY` when not a 2048-bit RSA private key
 * @example
 * ```ts
 * const der = exportIssuerPrivateKey(issuerKey.privateKey);
 * ```
 */
export function exportIssuerPrivateKey(privateKey: KeyObject): Uint8Array {
  issuerKeyPairFromPrivateKey(privateKey);
  return new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
}

/**
 * Imports an issuer private key from PKCS#8 DER.
 *
 * @param der - PKCS#8 DER bytes
 * @returns a plain `rsa` private KeyObject
 * @throws {@link CryptoError} `INVALID_KEY` when the bytes are not a 2048-bit RSA private key with e = 65537
 * @example
 * ```ts
 * const privateKey = importIssuerPrivateKey(der);
 * ```
 */
export function importIssuerPrivateKey(der: Uint8Array): KeyObject {
  assertBytes(der, 'PKCS#8 DER');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'not a PKCS#8 private key');
  }
  issuerKeyPairFromPrivateKey(key);
  return key;
}

/**
 * Exports an issuer public key as standard SubjectPublicKeyInfo DER (`rsaEncryption`). For the
 * Privacy Pass `token-key` form use {@link IssuerKeyPair.tokenKey} / `encodeTokenKey`.
 *
 * @param key - the issuer's public or private KeyObject
 * @returns SPKI DER bytes
 * @throws {@link CryptoError} `INVALID_KEY` when not a 2048-bit RSA key with e = 65537
 * @example
 * ```ts
 * const spki = exportIssuerPublicKey(issuerKey.publicKey);
 * ```
 */
export function exportIssuerPublicKey(key: KeyObject): Uint8Array {
  assertIssuerKey(key);
  return new Uint8Array(rsaPublicInfo(key).publicKey.export({ format: 'der', type: 'spki' }));
}

/**
 * Imports an issuer public key from SPKI DER, in either the `rsaEncryption` form or the
 * RSASSA-PSS `token-key` form.
 *
 * @param spki - SPKI DER bytes
 * @returns a plain `rsa` public KeyObject
 * @throws {@link CryptoError} `INVALID_KEY` / `MALFORMED` when not a 2048-bit RSA key with e = 65537
 * @example
 * ```ts
 * const publicKey = importIssuerPublicKey(spki);
 * ```
 */
export function importIssuerPublicKey(spki: Uint8Array): KeyObject {
  assertBytes(spki, 'SPKI DER');
  const key = rsaPublicKeyFromSpkiDer(spki);
  assertIssuerKey(key);
  return key;
}

/**
 * The key id of an issuer key: SHA-256 of its token-key (RFC 9578 §6.5).
 *
 * @param key - the issuer's public or private KeyObject
 * @returns 32 bytes
 * @throws {@link CryptoError} `INVALID_KEY` when not an RSA key
 * @example
 * ```ts
 * bytesToHex(issuerKeyId(publicKey));
 * ```
 */
export function issuerKeyId(key: KeyObject): Uint8Array {
  return tokenKeyId(key);
}
