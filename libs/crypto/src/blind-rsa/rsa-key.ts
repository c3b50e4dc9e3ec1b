import { KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import { base64urlDecode } from '../bytes';
import { readDer, readDerChildren } from '../der';
import { CryptoError, CryptoErrorCode, isCryptoError } from '../errors';
import { os2ip } from './bigint';

/** The public numbers of an RSA key, with a plain `rsa` KeyObject usable for raw operations. */
export interface RsaPublicInfo {
  /** A public KeyObject of type `rsa` (not `rsa-pss`: OpenSSL refuses raw operations on those). */
  readonly publicKey: KeyObject;
  /** The modulus n. */
  readonly n: bigint;
  /** The public exponent e. */
  readonly e: bigint;
  /** n as exactly `kLen` big-endian bytes. */
  readonly modulus: Uint8Array;
  /** Modulus length in bytes (Nk for Privacy Pass). */
  readonly kLen: number;
  /** Modulus length in bits, bit_len(n). */
  readonly modulusBits: number;
}

const publicCache = new WeakMap<KeyObject, RsaPublicInfo>();
const privateCache = new WeakMap<KeyObject, KeyObject>();

function invalidKey(why: string): CryptoError {
  return new CryptoError(CryptoErrorCode.INVALID_KEY, why);
}

// SubjectPublicKeyInfo → the RSAPublicKey (PKCS#1) inside its BIT STRING, whatever the algorithm
// parameters (RFC 5280 §4.1.2.7, RFC 8017 §A.1.1).
function rsaPublicKeyFromSpki(spki: Uint8Array): Uint8Array {
  const { element: outer, next } = readDer(spki, 0);
  if (outer.tag !== 0x30 || next !== spki.length) throw invalidKey('SPKI is not one SEQUENCE');
  const children = readDerChildren(outer.value);
  if (children.length !== 2 || children[0].tag !== 0x30 || children[1].tag !== 0x03) {
    throw invalidKey('SPKI has the wrong shape');
  }
  const bits = children[1].value;
  if (bits.length < 2 || bits[0] !== 0) throw invalidKey('SPKI public key BIT STRING is not whole bytes');
  return bits.subarray(1);
}

// PrivateKeyInfo (RFC 5208 §5) → the RSAPrivateKey (PKCS#1) inside its OCTET STRING.
function rsaPrivateKeyFromPkcs8(pkcs8: Uint8Array): Uint8Array {
  const { element: outer } = readDer(pkcs8, 0);
  const children = readDerChildren(outer.value);
  if (outer.tag !== 0x30 || children.length < 3 || children[2].tag !== 0x04) {
    throw invalidKey('PKCS#8 has the wrong shape');
  }
  return children[2].value;
}

/**
 * Normalises an RSA public or private KeyObject (`rsa` or `rsa-pss`) to its public numbers and a
 * plain `rsa` public KeyObject. Results are cached per KeyObject.
 *
 * @param key - an RSA KeyObject (a private key yields its public half)
 * @returns the public numbers
 * @throws {@link CryptoError} `INVALID_KEY` when the key is not an RSA key
 * @example
 * ```ts
 * const { kLen, n } = rsaPublicInfo(issuerPublicKey);
 * ```
 */
export function rsaPublicInfo(key: KeyObject): RsaPublicInfo {
  if (!(key instanceof KeyObject) || key.type === 'secret') throw invalidKey('expected an RSA KeyObject');
  const cached = publicCache.get(key);
  if (cached) return cached;
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'rsa-pss') throw invalidKey(`expected an RSA key, got ${type}`);
  let publicKey = key.type === 'private' ? createPublicKey(key) : key;
  try {
    if (type === 'rsa-pss') {
      const spki = publicKey.export({ format: 'der', type: 'spki' });
      publicKey = createPublicKey({ key: Buffer.from(rsaPublicKeyFromSpki(spki)), format: 'der', type: 'pkcs1' });
    }
  } catch (err) {
    if (isCryptoError(err)) throw err;
    throw invalidKey('could not convert the RSA-PSS key');
  }
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw invalidKey('RSA key lacks n or e');
  let modulus = base64urlDecode(jwk.n);
  while (modulus.length > 1 && modulus[0] === 0) modulus = modulus.subarray(1);
  const n = os2ip(modulus);
  const info: RsaPublicInfo = {
    publicKey,
    n,
    e: os2ip(base64urlDecode(jwk.e)),
    modulus,
    kLen: modulus.length,
    modulusBits: n.toString(2).length,
  };
  publicCache.set(key, info);
  return info;
}

/**
 * Checks an RSA private KeyObject and returns an equivalent plain `rsa` one (OpenSSL refuses raw,
 * unpadded operations on `rsa-pss` keys). Results are cached per KeyObject.
 *
 * @param key - an RSA private KeyObject
 * @returns a private KeyObject of type `rsa` holding the same key (with its CRT parameters)
 * @throws {@link CryptoError} `INVALID_KEY` when the key is not an RSA private key
 * @example
 * ```ts
 * const sk = rsaPrivateKey(keyFromDatabase);
 * ```
 */
export function rsaPrivateKey(key: KeyObject): KeyObject {
  if (!(key instanceof KeyObject) || key.type !== 'private') throw invalidKey('expected an RSA private KeyObject');
  if (key.asymmetricKeyType === 'rsa') return key;
  if (key.asymmetricKeyType !== 'rsa-pss') throw invalidKey(`expected an RSA key, got ${key.asymmetricKeyType}`);
  const cached = privateCache.get(key);
  if (cached) return cached;
  let plain: KeyObject;
  try {
    const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
    plain = createPrivateKey({ key: Buffer.from(rsaPrivateKeyFromPkcs8(pkcs8)), format: 'der', type: 'pkcs1' });
  } catch (err) {
    if (isCryptoError(err)) throw err;
    throw invalidKey('could not convert the RSA-PSS private key');
  }
  privateCache.set(key, plain);
  return plain;
}

/**
 * Imports an RSA public key from SubjectPublicKeyInfo DER in either the `rsaEncryption` or the
 * `id-RSASSA-PSS` form (the PSS parameters are not checked here), as a plain `rsa` KeyObject.
 *
 * @param spki - SubjectPublicKeyInfo DER
 * @returns a public KeyObject of type `rsa`
 * @throws {@link CryptoError} `INVALID_KEY` or `MALFORMED` when the bytes are not an RSA SPKI
 * @example
 * ```ts
 * const pk = rsaPublicKeyFromSpkiDer(tokenKeyBytes);
 * ```
 */
export function rsaPublicKeyFromSpkiDer(spki: Uint8Array): KeyObject {
  const pkcs1 = rsaPublicKeyFromSpki(spki);
  try {
    const key = createPublicKey({ key: Buffer.from(pkcs1), format: 'der', type: 'pkcs1' });
    rsaPublicInfo(key);
    return key;
  } catch (err) {
    if (isCryptoError(err)) throw err;
    throw invalidKey('not an RSA public key');
  }
}
