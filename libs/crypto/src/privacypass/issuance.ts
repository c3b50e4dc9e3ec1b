import { KeyObject } from 'node:crypto';
import { assertBytes } from '../asserts';
import { randomIntegerBelow } from '../blind-rsa/bigint';
import { rsaPublicInfo } from '../blind-rsa/rsa-key';
import { RSABSSA_SHA384_PSS_DETERMINISTIC, blindSignRaw, blindWithRandomness } from '../blind-rsa/rsabssa';
import { SHA384_LENGTH } from '../blind-rsa/emsa-pss';
import { equalBytes, randomBytes } from '../bytes';
import { CryptoError, CryptoErrorCode, isCryptoError } from '../errors';
import { BLIND_RSA_NK, CHALLENGE_DIGEST_LENGTH, NONCE_LENGTH, TOKEN_TYPE_BLIND_RSA } from './constants';
import { encodeTokenKey, parseTokenKey, tokenKeyId, tokenKeyIdFromBytes, truncatedTokenKeyId } from './spki';
import {
  challengeDigest,
  decodeToken,
  decodeTokenChallenge,
  decodeTokenRequest,
  decodeTokenResponse,
  encodeTokenChallenge,
  encodeTokenInput,
  encodeTokenRequest,
  encodeTokenResponse,
  type Token,
  type TokenChallenge,
} from './wire';

// Token type 2 is RSABSSA-SHA384-PSS-Deterministic: no message prefix, 48-byte salt (RFC 9578 §6).
const SUITE = RSABSSA_SHA384_PSS_DETERMINISTIC;

/** An issuer public key as accepted by the high-level helpers: published token-key bytes or a KeyObject. */
export type IssuerPublicKey = Uint8Array | KeyObject;

/** What the client keeps between sending a token request and receiving the response. Secret. */
export interface TokenRequestState {
  /** The issuer's public key (plain `rsa`). */
  readonly publicKey: KeyObject;
  /** token_type ‖ nonce ‖ challenge_digest ‖ token_key_id: the message being signed. */
  readonly tokenInput: Uint8Array;
  /** The inverse of the blinding factor. */
  readonly inv: Uint8Array;
}

/** Output of {@link createTokenRequest}. */
export interface ClientTokenRequest {
  /** The encoded TokenRequest to POST to the issuer. */
  readonly request: Uint8Array;
  /** Keep (secretly) for {@link finalizeToken}. */
  readonly state: TokenRequestState;
}

/** The client's random choices, fixed only to reproduce test vectors. */
export interface TokenRequestRandomness {
  readonly nonce: Uint8Array;
  readonly salt: Uint8Array;
  readonly r: bigint;
}

// Parsed token keys by their bytes: origins verify many tokens against a handful of keys, and
// parsing (DER, key import, canonical re-encoding) costs more than the RSA verification itself.
const parsedTokenKeys = new Map<string, { key: KeyObject; keyId: Uint8Array }>();
const PARSED_TOKEN_KEYS_MAX = 32;

function resolvePublicKey(publicKey: IssuerPublicKey): { key: KeyObject; keyId: Uint8Array } {
  if (publicKey instanceof Uint8Array) {
    const cacheKey = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64');
    const hit = parsedTokenKeys.get(cacheKey);
    if (hit) return hit;
    // The key id hashes the bytes the issuer published; parseTokenKey guarantees they are canonical.
    const resolved = { key: parseTokenKey(publicKey), keyId: tokenKeyIdFromBytes(publicKey) };
    if (parsedTokenKeys.size >= PARSED_TOKEN_KEYS_MAX) {
      parsedTokenKeys.delete(parsedTokenKeys.keys().next().value as string);
    }
    parsedTokenKeys.set(cacheKey, resolved);
    return resolved;
  }
  if (!(publicKey instanceof KeyObject)) {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'expected token-key bytes or an RSA KeyObject');
  }
  const info = rsaPublicInfo(publicKey);
  if (info.kLen !== BLIND_RSA_NK) throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'token type 2 needs a 2048-bit RSA key');
  return { key: info.publicKey, keyId: tokenKeyId(publicKey) };
}

function challengeBytes(challenge: TokenChallenge | Uint8Array): Uint8Array {
  if (challenge instanceof Uint8Array) {
    const decoded = decodeTokenChallenge(challenge);
    if (decoded.tokenType !== TOKEN_TYPE_BLIND_RSA) {
      throw new CryptoError(CryptoErrorCode.UNSUPPORTED_TOKEN_TYPE, 'challenge is not for token type 2');
    }
    return challenge;
  }
  if (challenge?.tokenType !== TOKEN_TYPE_BLIND_RSA) {
    throw new CryptoError(CryptoErrorCode.UNSUPPORTED_TOKEN_TYPE, 'challenge is not for token type 2');
  }
  return encodeTokenChallenge(challenge);
}

/**
 * {@link createTokenRequest} with caller-chosen nonce, salt and blinding factor. For test vectors
 * only: in production all three must be fresh secret randomness.
 *
 * @param publicKey - the issuer's token-key bytes or public KeyObject
 * @param challenge - the TokenChallenge or its exact bytes
 * @param randomness - nonce (32 bytes), salt (48 bytes) and r (1 ≤ r < n)
 * @returns the encoded request and the state for finalize
 * @throws {@link CryptoError} as {@link createTokenRequest}, and `INVALID_LENGTH` for bad nonce/salt
 * @example
 * ```ts
 * createTokenRequestWithRandomness(pkS, challengeBytes, { nonce, salt, r: os2ip(blind) });
 * ```
 */
export function createTokenRequestWithRandomness(
  publicKey: IssuerPublicKey,
  challenge: TokenChallenge | Uint8Array,
  randomness: TokenRequestRandomness,
): ClientTokenRequest {
  const { key, keyId } = resolvePublicKey(publicKey);
  assertBytes(randomness.nonce, 'nonce', NONCE_LENGTH);
  const tokenInput = encodeTokenInput({
    tokenType: TOKEN_TYPE_BLIND_RSA,
    nonce: randomness.nonce,
    challengeDigest: challengeDigest(challengeBytes(challenge)),
    tokenKeyId: keyId,
  });
  const { blindedMsg, inv } = blindWithRandomness(SUITE.params, key, tokenInput, randomness.salt, randomness.r);
  const request = encodeTokenRequest({
    tokenType: TOKEN_TYPE_BLIND_RSA,
    truncatedTokenKeyId: truncatedTokenKeyId(keyId),
    blindedMsg,
  });
  return { request, state: { publicKey: key, tokenInput, inv } };
}

/**
 * Client, step 1 (RFC 9578 §6.1): makes a token request for a challenge, with a fresh nonce,
 * salt and blinding factor.
 *
 * @param publicKey - the issuer's token-key bytes (as published in its directory) or public KeyObject
 * @param challenge - the TokenChallenge from the origin, or its exact bytes
 * @returns `request` to send to the issuer and `state` to keep for {@link finalizeToken}
 * @throws {@link CryptoError} `INVALID_KEY` (not a 2048-bit RSASSA-PSS token key),
 *   `UNSUPPORTED_TOKEN_TYPE` (challenge not type 2), `MALFORMED` (challenge bytes), `BLINDING_FAILED`
 * @example
 * ```ts
 * const { request, state } = createTokenRequest(tokenKey, challengeBytes);
 * const response = await post(issuerRequestUri, request);
 * const token = finalizeToken(state, response);
 * ```
 */
export function createTokenRequest(publicKey: IssuerPublicKey, challenge: TokenChallenge | Uint8Array): ClientTokenRequest {
  const { key } = resolvePublicKey(publicKey);
  return createTokenRequestWithRandomness(publicKey, challenge, {
    nonce: randomBytes(NONCE_LENGTH),
    salt: randomBytes(SHA384_LENGTH),
    r: randomIntegerBelow(rsaPublicInfo(key).n),
  });
}

/**
 * Client, step 2 (RFC 9578 §6.3): unblinds the issuer's response into a token and checks it.
 *
 * @param state - the state from {@link createTokenRequest}
 * @param response - the encoded TokenResponse from the issuer
 * @returns the token (encode with {@link encodeToken} to send it)
 * @throws {@link CryptoError} `INVALID_LENGTH` (response not 256 bytes), `MESSAGE_OUT_OF_RANGE`,
 *   `INVALID_SIGNATURE` (the issuer's signature does not verify)
 * @example
 * ```ts
 * const token = finalizeToken(state, responseBytes);
 * ```
 */
export function finalizeToken(state: TokenRequestState, response: Uint8Array): Token {
  const { blindSig } = decodeTokenResponse(response);
  const authenticator = SUITE.finalize(state.publicKey, state.tokenInput, blindSig, state.inv);
  const input = state.tokenInput;
  return {
    tokenType: TOKEN_TYPE_BLIND_RSA,
    nonce: input.slice(2, 2 + NONCE_LENGTH),
    challengeDigest: input.slice(2 + NONCE_LENGTH, 2 + NONCE_LENGTH + CHALLENGE_DIGEST_LENGTH),
    tokenKeyId: input.slice(2 + NONCE_LENGTH + CHALLENGE_DIGEST_LENGTH),
    authenticator,
  };
}

/**
 * Issuer (RFC 9578 §6.2): checks a token request names this key and returns the blind signature.
 * The issuer learns nothing about the token it signs.
 *
 * @param privateKey - the issuer's 2048-bit RSA private key
 * @param request - the encoded TokenRequest
 * @returns the encoded TokenResponse
 * @throws {@link CryptoError} `MALFORMED`, `UNSUPPORTED_TOKEN_TYPE`, `INVALID_LENGTH` (request),
 *   `UNKNOWN_KEY` (truncated key id is not this key's), `MESSAGE_OUT_OF_RANGE`, `INVALID_KEY`, `SIGNING_FAILURE`
 * @example
 * ```ts
 * reply.type('application/private-token-response').send(issueTokenResponse(issuerKey, body));
 * ```
 */
export function issueTokenResponse(privateKey: KeyObject, request: Uint8Array): Uint8Array {
  const { truncatedTokenKeyId: truncated, blindedMsg } = decodeTokenRequest(request);
  if (rsaPublicInfo(privateKey).kLen !== BLIND_RSA_NK) {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'token type 2 needs a 2048-bit RSA key');
  }
  if (truncated !== truncatedTokenKeyId(tokenKeyId(privateKey))) {
    throw new CryptoError(CryptoErrorCode.UNKNOWN_KEY, 'token request is for another issuer key');
  }
  return encodeTokenResponse({ blindSig: blindSignRaw(privateKey, blindedMsg) });
}

/**
 * Origin (RFC 9578 §6.4): checks a token, throwing the reason it is not valid.
 *
 * @param publicKey - the issuer's token-key bytes or public KeyObject
 * @param token - the token or its encoded bytes
 * @param expectedChallengeDigest - when given, the token must answer this challenge
 * @returns the decoded token
 * @throws {@link CryptoError} `MALFORMED` / `UNSUPPORTED_TOKEN_TYPE` / `INVALID_LENGTH` (token bytes),
 *   `UNKNOWN_KEY` (token_key_id is not this key's), `CHALLENGE_MISMATCH`, `INVALID_SIGNATURE`, `INVALID_KEY`
 * @example
 * ```ts
 * const token = assertValidToken(tokenKey, parseAuthorization(header), challengeDigest(challengeBytes));
 * ```
 */
export function assertValidToken(
  publicKey: IssuerPublicKey,
  token: Token | Uint8Array,
  expectedChallengeDigest?: Uint8Array,
): Token {
  return checkToken(resolvePublicKey(publicKey), token, expectedChallengeDigest);
}

function checkToken(
  { key, keyId }: { key: KeyObject; keyId: Uint8Array },
  token: Token | Uint8Array,
  expectedChallengeDigest?: Uint8Array,
): Token {
  const decoded = token instanceof Uint8Array ? decodeToken(token) : token;
  const input = encodeTokenInput(decoded);
  assertBytes(decoded.authenticator, 'authenticator');
  if (!equalBytes(decoded.tokenKeyId, keyId)) {
    throw new CryptoError(CryptoErrorCode.UNKNOWN_KEY, 'token was issued under another key');
  }
  if (expectedChallengeDigest !== undefined) {
    assertBytes(expectedChallengeDigest, 'expected challenge digest', CHALLENGE_DIGEST_LENGTH);
    if (!equalBytes(decoded.challengeDigest, expectedChallengeDigest)) {
      throw new CryptoError(CryptoErrorCode.CHALLENGE_MISMATCH, 'token answers another challenge');
    }
  }
  if (!SUITE.verify(key, input, decoded.authenticator)) {
    throw new CryptoError(CryptoErrorCode.INVALID_SIGNATURE, 'token authenticator does not verify');
  }
  return decoded;
}

/**
 * Origin (RFC 9578 §6.4): whether a token is valid for this issuer key (and challenge, if given).
 * A misconfigured key still throws; anything wrong with the token returns false.
 *
 * @param publicKey - the issuer's token-key bytes or public KeyObject
 * @param token - the token or its encoded bytes
 * @param expectedChallengeDigest - when given, the token must answer this challenge
 * @returns true when the token verifies
 * @throws {@link CryptoError} `INVALID_KEY` when the public key is unusable
 * @example
 * ```ts
 * if (!verifyToken(tokenKey, tokenBytes)) return reply.code(401).send();
 * ```
 */
export function verifyToken(
  publicKey: IssuerPublicKey,
  token: Token | Uint8Array,
  expectedChallengeDigest?: Uint8Array,
): boolean {
  const resolved = resolvePublicKey(publicKey);
  try {
    checkToken(resolved, token, expectedChallengeDigest);
    return true;
  } catch (err) {
    if (isCryptoError(err) && err.code !== CryptoErrorCode.INVALID_KEY) return false;
    throw err;
  }
}

/**
 * The token-key bytes to publish for an issuer key (the 342-byte RSASSA-PSS SPKI), for symmetry
 * with {@link createTokenRequest}.
 *
 * @param key - the issuer's RSA key (public or private)
 * @returns the token-key bytes
 * @throws {@link CryptoError} `INVALID_KEY` when not a 2048-bit RSA key
 * @example
 * ```ts
 * const tokenKey = publishedTokenKey(issuerPrivateKey);
 * ```
 */
export function publishedTokenKey(key: KeyObject): Uint8Array {
  if (rsaPublicInfo(key).kLen !== BLIND_RSA_NK) {
    throw new CryptoError(CryptoErrorCode.INVALID_KEY, 'token type 2 needs a 2048-bit RSA key');
  }
  return encodeTokenKey(key);
}
