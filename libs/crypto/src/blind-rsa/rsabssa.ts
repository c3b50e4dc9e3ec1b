import { KeyObject, constants, privateDecrypt, publicEncrypt, verify as nodeVerify } from 'node:crypto';
import { assertBytes } from '../asserts';
import { concatBytes, equalBytes, randomBytes } from '../bytes';
import { CryptoError, CryptoErrorCode } from '../errors';
import { gcd, i2osp, modInverse, modPow, os2ip, randomIntegerBelow } from './bigint';
import { SHA384_LENGTH, emsaPssEncode } from './emsa-pss';
import { rsaPrivateKey, rsaPublicInfo } from './rsa-key';

/** The four RSABSSA-SHA384 variants of RFC 9474 §5. */
export type RsaBssaVariantName =
  | 'RSABSSA-SHA384-PSS-Randomized'
  | 'RSABSSA-SHA384-PSSZERO-Randomized'
  | 'RSABSSA-SHA384-PSS-Deterministic'
  | 'RSABSSA-SHA384-PSSZERO-Deterministic';

/** Parameters of one RSABSSA variant. */
export interface RsaBssaVariant {
  /** The RFC 9474 name. */
  readonly name: RsaBssaVariantName;
  /** PSS salt length: 48 (hLen) for PSS, 0 for PSSZERO. */
  readonly saltLength: number;
  /** Whether `prepare` prepends a 32-byte random prefix (RFC 9474 §4.1). */
  readonly randomized: boolean;
}

/** Length of the random message prefix of the Randomized variants (RFC 9474 §4.1). */
export const MSG_PREFIX_LENGTH = 32;

/** Output of {@link BlindRsa.blind}: what to send to the signer and what to keep. */
export interface BlindingResult {
  /** The blinded message, kLen bytes: send to the signer. */
  readonly blindedMsg: Uint8Array;
  /** The inverse of the blinding factor, kLen bytes: keep secret until `finalize`. */
  readonly inv: Uint8Array;
}

function variant(name: RsaBssaVariantName): RsaBssaVariant {
  return Object.freeze({
    name,
    saltLength: name.includes('PSSZERO') ? 0 : SHA384_LENGTH,
    randomized: name.endsWith('Randomized'),
  });
}

/** The variant parameters, by RFC 9474 name. */
export const RSABSSA_SHA384_VARIANTS: Readonly<Record<RsaBssaVariantName, RsaBssaVariant>> = Object.freeze({
  'RSABSSA-SHA384-PSS-Randomized': variant('RSABSSA-SHA384-PSS-Randomized'),
  'RSABSSA-SHA384-PSSZERO-Randomized': variant('RSABSSA-SHA384-PSSZERO-Randomized'),
  'RSABSSA-SHA384-PSS-Deterministic': variant('RSABSSA-SHA384-PSS-Deterministic'),
  'RSABSSA-SHA384-PSSZERO-Deterministic': variant('RSABSSA-SHA384-PSSZERO-Deterministic'),
});

function lookupVariant(v: RsaBssaVariant | RsaBssaVariantName): RsaBssaVariant {
  const found = RSABSSA_SHA384_VARIANTS[typeof v === 'string' ? v : v?.name];
  if (!found) throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'unknown RSABSSA variant');
  return found;
}

/**
 * Prepare with a caller-chosen prefix (RFC 9474 §4.1). For test vectors: in production the prefix
 * of a Randomized variant must be fresh randomness, which {@link BlindRsa.prepare} provides.
 *
 * @param v - the variant
 * @param msg - the message
 * @param prefix - 32 bytes for Randomized variants, empty for Deterministic ones
 * @returns prefix ‖ msg
 * @throws {@link CryptoError} `INVALID_LENGTH` when the prefix length does not fit the variant
 * @example
 * ```ts
 * prepareWithPrefix('RSABSSA-SHA384-PSS-Randomized', msg, vector.msg_prefix);
 * ```
 */
export function prepareWithPrefix(
  v: RsaBssaVariant | RsaBssaVariantName,
  msg: Uint8Array,
  prefix: Uint8Array,
): Uint8Array {
  const { randomized } = lookupVariant(v);
  assertBytes(msg, 'msg');
  assertBytes(prefix, 'msg_prefix', randomized ? MSG_PREFIX_LENGTH : 0);
  return concatBytes(prefix, msg);
}

/**
 * Blind with caller-chosen salt and blinding factor r (RFC 9474 §4.2). For test vectors: in
 * production both must be fresh secret randomness, which {@link BlindRsa.blind} provides.
 *
 * @param v - the variant
 * @param publicKey - the signer's RSA public key
 * @param preparedMsg - output of prepare
 * @param salt - saltLength bytes
 * @param r - the blinding factor, 1 ≤ r < n
 * @returns the blinded message and inv
 * @throws {@link CryptoError} `INVALID_LENGTH` (salt), `ENCODING_ERROR`, `BLINDING_FAILED`, `INVALID_KEY`
 * @example
 * ```ts
 * blindWithRandomness(variant, pk, input, salt, modInverse(inv, n));
 * ```
 */
export function blindWithRandomness(
  v: RsaBssaVariant | RsaBssaVariantName,
  publicKey: KeyObject,
  preparedMsg: Uint8Array,
  salt: Uint8Array,
  r: bigint,
): BlindingResult {
  const { saltLength } = lookupVariant(v);
  assertBytes(preparedMsg, 'msg');
  assertBytes(salt, 'salt', saltLength);
  const { n, e, kLen, modulusBits } = rsaPublicInfo(publicKey);
  if (typeof r !== 'bigint' || r < 1n || r >= n) {
    throw new CryptoError(CryptoErrorCode.BLINDING_FAILED, 'blinding factor out of range');
  }
  const m = os2ip(emsaPssEncode(preparedMsg, modulusBits - 1, salt));
  if (gcd(m, n) !== 1n) throw new CryptoError(CryptoErrorCode.BLINDING_FAILED, 'invalid input: not coprime with n');
  const inv = modInverse(r, n);
  const z = (m * modPow(r, e, n)) % n;
  return { blindedMsg: i2osp(z, kLen), inv: i2osp(inv, kLen) };
}

// a < b for equal-length big-endian byte strings, without early exit on the first difference.
function lessThan(a: Uint8Array, b: Uint8Array): boolean {
  let lt = 0;
  let gt = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const undecided = 1 ^ (lt | gt);
    lt |= undecided & (((x - y) >>> 31) & 1);
    gt |= undecided & (((y - x) >>> 31) & 1);
  }
  return lt === 1;
}

/**
 * One RSABSSA-SHA384 variant (RFC 9474): the client side (`prepare`, `blind`, `finalize`), the
 * signer (`blindSign`) and `verify`. Instances are stateless and immutable.
 *
 * @example
 * ```ts
 * const suite = BlindRsa.variant('RSABSSA-SHA384-PSS-Randomized');
 * const input = suite.prepare(msg);
 * const { blindedMsg, inv } = suite.blind(publicKey, input);
 * const blindSig = suite.blindSign(privateKey, blindedMsg); // on the server
 * const sig = suite.finalize(publicKey, input, blindSig, inv);
 * suite.verify(publicKey, input, sig); // true
 * ```
 */
export class BlindRsa {
  private constructor(readonly params: RsaBssaVariant) {}

  private static readonly instances = new Map<RsaBssaVariantName, BlindRsa>();

  /**
   * The suite for a variant.
   *
   * @param v - the variant or its RFC 9474 name
   * @returns the (shared) suite instance
   * @throws {@link CryptoError} `INVALID_ARGUMENT` for an unknown name
   * @example
   * ```ts
   * BlindRsa.variant('RSABSSA-SHA384-PSS-Deterministic');
   * ```
   */
  static variant(v: RsaBssaVariant | RsaBssaVariantName): BlindRsa {
    const params = lookupVariant(v);
    let suite = BlindRsa.instances.get(params.name);
    if (!suite) {
      suite = new BlindRsa(params);
      BlindRsa.instances.set(params.name, suite);
    }
    return suite;
  }

  /** The RFC 9474 name of this variant. */
  get name(): RsaBssaVariantName {
    return this.params.name;
  }

  /**
   * Prepare (RFC 9474 §4.1): prepends 32 random bytes for Randomized variants, copies otherwise.
   *
   * @param msg - the message
   * @returns the prepared message, the input to blind, finalize and verify
   * @throws {@link CryptoError} `INVALID_ARGUMENT` when msg is not bytes
   * @example
   * ```ts
   * const input = suite.prepare(new TextEncoder().encode('hello'));
   * ```
   */
  prepare(msg: Uint8Array): Uint8Array {
    return prepareWithPrefix(this.params, msg, randomBytes(this.params.randomized ? MSG_PREFIX_LENGTH : 0));
  }

  /**
   * Blind (RFC 9474 §4.2) with a fresh salt and a fresh uniform blinding factor.
   *
   * @param publicKey - the signer's RSA public key (KeyObject)
   * @param preparedMsg - output of {@link BlindRsa.prepare}
   * @returns `blindedMsg` for the signer and `inv` to keep for finalize
   * @throws {@link CryptoError} `INVALID_KEY`, `ENCODING_ERROR` (modulus too small), `BLINDING_FAILED`
   * @example
   * ```ts
   * const { blindedMsg, inv } = suite.blind(publicKey, input);
   * ```
   */
  blind(publicKey: KeyObject, preparedMsg: Uint8Array): BlindingResult {
    const { n } = rsaPublicInfo(publicKey);
    return blindWithRandomness(
      this.params,
      publicKey,
      preparedMsg,
      randomBytes(this.params.saltLength),
      randomIntegerBelow(n),
    );
  }

  /**
   * BlindSign (RFC 9474 §4.3): s = RSASP1(sk, m) by OpenSSL (CRT, constant-time, blinded), then
   * the required check RSAVP1(pk, s) == m before anything is returned.
   *
   * @param privateKey - the signer's RSA private key (KeyObject)
   * @param blindedMsg - the client's blinded message, exactly kLen bytes
   * @returns the blind signature, kLen bytes
   * @throws {@link CryptoError} `INVALID_KEY`, `INVALID_LENGTH`, `MESSAGE_OUT_OF_RANGE` (m ≥ n), `SIGNING_FAILURE`
   * @example
   * ```ts
   * const blindSig = suite.blindSign(privateKey, blindedMsg);
   * ```
   */
  blindSign(privateKey: KeyObject, blindedMsg: Uint8Array): Uint8Array {
    return blindSignRaw(privateKey, blindedMsg);
  }

  /**
   * Finalize (RFC 9474 §4.4): unblinds and verifies the signature.
   *
   * @param publicKey - the signer's RSA public key
   * @param preparedMsg - the prepared message that was blinded
   * @param blindSig - the signer's blind signature, kLen bytes
   * @param inv - the `inv` kept from blind, kLen bytes
   * @returns the signature, kLen bytes
   * @throws {@link CryptoError} `INVALID_LENGTH`, `MESSAGE_OUT_OF_RANGE`, `INVALID_SIGNATURE`, `INVALID_KEY`
   * @example
   * ```ts
   * const sig = suite.finalize(publicKey, input, blindSig, inv);
   * ```
   */
  finalize(publicKey: KeyObject, preparedMsg: Uint8Array, blindSig: Uint8Array, inv: Uint8Array): Uint8Array {
    const { n, kLen, modulus } = rsaPublicInfo(publicKey);
    assertBytes(preparedMsg, 'msg');
    assertBytes(blindSig, 'blind_sig', kLen);
    assertBytes(inv, 'inv', kLen);
    if (!lessThan(blindSig, modulus) || !lessThan(inv, modulus)) {
      throw new CryptoError(CryptoErrorCode.MESSAGE_OUT_OF_RANGE, 'blind_sig or inv not below n');
    }
    const sig = i2osp((os2ip(blindSig) * os2ip(inv)) % n, kLen);
    if (!this.verify(publicKey, preparedMsg, sig)) {
      throw new CryptoError(CryptoErrorCode.INVALID_SIGNATURE, 'invalid signature');
    }
    return sig;
  }

  /**
   * RSASSA-PSS-VERIFY (RFC 8017 §8.1.2) with SHA-384, MGF1-SHA384 and this variant's salt length,
   * by OpenSSL.
   *
   * @param publicKey - the signer's RSA public key
   * @param preparedMsg - the prepared message
   * @param signature - the signature
   * @returns true when the signature is valid; false for any invalid or malformed signature
   * @throws {@link CryptoError} `INVALID_KEY` when the key is not an RSA key; `INVALID_ARGUMENT` for non-bytes
   * @example
   * ```ts
   * if (!suite.verify(publicKey, input, sig)) reject();
   * ```
   */
  verify(publicKey: KeyObject, preparedMsg: Uint8Array, signature: Uint8Array): boolean {
    const info = rsaPublicInfo(publicKey);
    assertBytes(preparedMsg, 'msg');
    assertBytes(signature, 'signature');
    if (signature.length !== info.kLen) return false;
    try {
      return nodeVerify(
        'sha384',
        preparedMsg,
        { key: info.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: this.params.saltLength },
        signature,
      );
    } catch {
      return false;
    }
  }
}

/**
 * The signer's operation, which is the same for every variant (RFC 9474 §4.3).
 *
 * @param privateKey - the signer's RSA private key
 * @param blindedMsg - exactly kLen bytes, below n
 * @returns the blind signature, kLen bytes
 * @throws {@link CryptoError} `INVALID_KEY`, `INVALID_LENGTH`, `MESSAGE_OUT_OF_RANGE`, `SIGNING_FAILURE`
 * @example
 * ```ts
 * const blindSig = blindSignRaw(privateKey, blindedMsg);
 * ```
 */
export function blindSignRaw(privateKey: KeyObject, blindedMsg: Uint8Array): Uint8Array {
  const sk = rsaPrivateKey(privateKey);
  const { publicKey, kLen, modulus } = rsaPublicInfo(sk);
  assertBytes(blindedMsg, 'blinded_msg', kLen);
  if (!lessThan(blindedMsg, modulus)) {
    throw new CryptoError(CryptoErrorCode.MESSAGE_OUT_OF_RANGE, 'blinded_msg is not below n');
  }
  let s: Uint8Array;
  let check: Uint8Array;
  try {
    s = privateDecrypt({ key: sk, padding: constants.RSA_NO_PADDING }, blindedMsg);
    check = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, s);
  } catch {
    throw new CryptoError(CryptoErrorCode.SIGNING_FAILURE, 'RSA private operation failed');
  }
  if (s.length !== kLen || !equalBytes(check, blindedMsg)) {
    throw new CryptoError(CryptoErrorCode.SIGNING_FAILURE, 'signing failure: RSAVP1(pk, s) != m');
  }
  return s;
}

/** RSABSSA-SHA384-PSS-Randomized (RFC 9474 §5), the RFC's recommended default. */
export const RSABSSA_SHA384_PSS_RANDOMIZED = BlindRsa.variant('RSABSSA-SHA384-PSS-Randomized');
/** RSABSSA-SHA384-PSSZERO-Randomized (RFC 9474 §5). */
export const RSABSSA_SHA384_PSSZERO_RANDOMIZED = BlindRsa.variant('RSABSSA-SHA384-PSSZERO-Randomized');
/** RSABSSA-SHA384-PSS-Deterministic (RFC 9474 §5), used by Privacy Pass token type 2. */
export const RSABSSA_SHA384_PSS_DETERMINISTIC = BlindRsa.variant('RSABSSA-SHA384-PSS-Deterministic');
/** RSABSSA-SHA384-PSSZERO-Deterministic (RFC 9474 §5). */
export const RSABSSA_SHA384_PSSZERO_DETERMINISTIC = BlindRsa.variant('RSABSSA-SHA384-PSSZERO-Deterministic');
