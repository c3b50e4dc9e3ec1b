import { createHash } from 'node:crypto';
import { assertBytes, assertInteger, assertString } from '../asserts';
import { concatBytes, utf8Decode, utf8Encode } from '../bytes';
import { CryptoError, CryptoErrorCode, isCryptoError } from '../errors';
import {
  BLIND_RSA_NK,
  CHALLENGE_DIGEST_LENGTH,
  NONCE_LENGTH,
  TOKEN_KEY_ID_LENGTH,
  TOKEN_TYPE_BLIND_RSA,
} from './constants';

/** A TokenChallenge (RFC 9577 §2.1). */
export interface TokenChallenge {
  /** Token type; 2 for Blind RSA. Other types can be carried (and rendered in headers). */
  readonly tokenType: number;
  /** The issuer's name, 1..65535 bytes of UTF-8. */
  readonly issuerName: string;
  /** Empty, or 32 bytes binding the token to a context chosen by the origin. */
  readonly redemptionContext: Uint8Array;
  /** Origin names the token is valid for; empty means any origin of the issuer. */
  readonly originInfo: readonly string[];
}

/** A TokenRequest for token type 2 (RFC 9578 §6.1). */
export interface TokenRequest {
  readonly tokenType: number;
  /** The last byte of the issuer's token key id. */
  readonly truncatedTokenKeyId: number;
  /** The RSA blinded message, Nk = 256 bytes. */
  readonly blindedMsg: Uint8Array;
}

/** A TokenResponse for token type 2 (RFC 9578 §6.2). */
export interface TokenResponse {
  /** The blind signature, Nk = 256 bytes. */
  readonly blindSig: Uint8Array;
}

/** A Token (RFC 9577 §2.2) of type 2. */
export interface Token {
  readonly tokenType: number;
  /** 32 random bytes chosen by the client. */
  readonly nonce: Uint8Array;
  /** SHA-256 of the TokenChallenge the token answers. */
  readonly challengeDigest: Uint8Array;
  /** SHA-256 of the issuer's token-key. */
  readonly tokenKeyId: Uint8Array;
  /** The RSA signature over the token input, Nk = 256 bytes. */
  readonly authenticator: Uint8Array;
}

/** Byte length of an encoded type 2 TokenRequest. */
export const TOKEN_REQUEST_LENGTH = 2 + 1 + BLIND_RSA_NK;
/** Byte length of the token input (token_type ‖ nonce ‖ challenge_digest ‖ token_key_id). */
export const TOKEN_INPUT_LENGTH = 2 + NONCE_LENGTH + CHALLENGE_DIGEST_LENGTH + TOKEN_KEY_ID_LENGTH;
/** Byte length of an encoded type 2 Token. */
export const TOKEN_LENGTH = TOKEN_INPUT_LENGTH + BLIND_RSA_NK;

function malformed(why: string): CryptoError {
  return new CryptoError(CryptoErrorCode.MALFORMED, why);
}

function u16(x: number): Uint8Array {
  return Uint8Array.of(x >> 8, x & 0xff);
}

function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function assertTokenType2(tokenType: number): void {
  if (tokenType !== TOKEN_TYPE_BLIND_RSA) {
    throw new CryptoError(CryptoErrorCode.UNSUPPORTED_TOKEN_TYPE, `token type ${tokenType} is not 0x0002`);
  }
}

/**
 * Encodes a TokenChallenge (RFC 9577 §2.1):
 * token_type(2) ‖ issuer_name<1..2^16-1> ‖ redemption_context<0..32> ‖ origin_info<0..2^16-1>,
 * with origin names joined by commas.
 *
 * @param challenge - the challenge
 * @returns the encoded bytes
 * @throws {@link CryptoError} `INVALID_ARGUMENT` (bad fields, origin names with commas),
 *   `INVALID_LENGTH` (issuer name or origin info too long, context not 0 or 32 bytes)
 * @example
 * ```ts
 * encodeTokenChallenge({ tokenType: 2, issuerName: 'issuer.example', redemptionContext: randomBytes(32), originInfo: ['origin.example'] });
 * ```
 */
export function encodeTokenChallenge(challenge: TokenChallenge): Uint8Array {
  if (typeof challenge !== 'object' || challenge === null) {
    throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'challenge must be an object');
  }
  assertInteger(challenge.tokenType, 'token_type', 0, 0xffff);
  assertString(challenge.issuerName, 'issuer_name');
  assertBytes(challenge.redemptionContext, 'redemption_context');
  if (challenge.redemptionContext.length !== 0 && challenge.redemptionContext.length !== 32) {
    throw new CryptoError(CryptoErrorCode.INVALID_LENGTH, 'redemption_context must be 0 or 32 bytes');
  }
  if (!Array.isArray(challenge.originInfo)) {
    throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'origin_info must be an array');
  }
  for (const origin of challenge.originInfo) {
    assertString(origin, 'origin name');
    if (origin.length === 0 || origin.includes(',')) {
      throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'origin names must be non-empty and comma-free');
    }
  }
  const issuer = utf8Encode(challenge.issuerName);
  const origins = utf8Encode(challenge.originInfo.join(','));
  if (issuer.length < 1 || issuer.length > 0xffff) {
    throw new CryptoError(CryptoErrorCode.INVALID_LENGTH, 'issuer_name must be 1..65535 bytes');
  }
  if (origins.length > 0xffff) throw new CryptoError(CryptoErrorCode.INVALID_LENGTH, 'origin_info too long');
  return concatBytes(
    u16(challenge.tokenType),
    u16(issuer.length),
    issuer,
    Uint8Array.of(challenge.redemptionContext.length),
    challenge.redemptionContext,
    u16(origins.length),
    origins,
  );
}

/**
 * Decodes a TokenChallenge (RFC 9577 §2.1), of any token type. Decoding then encoding gives back
 * the same bytes.
 *
 * @param bytes - the encoded challenge
 * @returns the challenge
 * @throws {@link CryptoError} `MALFORMED` (truncated, trailing bytes, bad lengths, invalid UTF-8, empty origin names)
 * @example
 * ```ts
 * const challenge = decodeTokenChallenge(base64urlDecode(params.challenge));
 * ```
 */
export function decodeTokenChallenge(bytes: Uint8Array): TokenChallenge {
  assertBytes(bytes, 'TokenChallenge');
  let off = 0;
  const take = (n: number): Uint8Array => {
    if (off + n > bytes.length) throw malformed('TokenChallenge is truncated');
    const out = bytes.subarray(off, off + n);
    off += n;
    return out;
  };
  const tokenType = readU16(take(2), 0);
  const issuerBytes = take(readU16(take(2), 0));
  if (issuerBytes.length === 0) throw malformed('issuer_name is empty');
  const contextLength = take(1)[0];
  if (contextLength !== 0 && contextLength !== 32) throw malformed('redemption_context must be 0 or 32 bytes');
  const redemptionContext = Uint8Array.from(take(contextLength));
  const originBytes = take(readU16(take(2), 0));
  if (off !== bytes.length) throw malformed('trailing bytes after TokenChallenge');
  let issuerName: string;
  let origins: string;
  try {
    issuerName = utf8Decode(issuerBytes);
    origins = utf8Decode(originBytes);
  } catch (err) {
    if (isCryptoError(err)) throw malformed('TokenChallenge holds invalid UTF-8');
    throw err;
  }
  const originInfo = origins.length === 0 ? [] : origins.split(',');
  if (originInfo.some((o) => o.length === 0)) throw malformed('empty origin name in origin_info');
  return { tokenType, issuerName, redemptionContext, originInfo };
}

/**
 * The challenge digest: SHA-256 of the encoded TokenChallenge (RFC 9577 §2.2).
 *
 * @param challenge - the challenge, or its exact encoded bytes (preferred: hash what was sent)
 * @returns 32 bytes
 * @throws {@link CryptoError} as {@link encodeTokenChallenge} when given an object
 * @example
 * ```ts
 * const digest = challengeDigest(challengeBytes);
 * ```
 */
export function challengeDigest(challenge: TokenChallenge | Uint8Array): Uint8Array {
  const bytes = challenge instanceof Uint8Array ? challenge : encodeTokenChallenge(challenge);
  return createHash('sha256').update(bytes).digest();
}

/**
 * Encodes a type 2 TokenRequest (RFC 9578 §6.1): token_type(2) ‖ truncated_token_key_id(1) ‖ blinded_msg(Nk).
 *
 * @param request - the request
 * @returns 259 bytes
 * @throws {@link CryptoError} `UNSUPPORTED_TOKEN_TYPE`, `INVALID_ARGUMENT`, `INVALID_LENGTH`
 * @example
 * ```ts
 * encodeTokenRequest({ tokenType: 2, truncatedTokenKeyId: 0x08, blindedMsg });
 * ```
 */
export function encodeTokenRequest(request: TokenRequest): Uint8Array {
  assertTokenType2(request.tokenType);
  assertInteger(request.truncatedTokenKeyId, 'truncated_token_key_id', 0, 0xff);
  assertBytes(request.blindedMsg, 'blinded_msg', BLIND_RSA_NK);
  return concatBytes(u16(request.tokenType), Uint8Array.of(request.truncatedTokenKeyId), request.blindedMsg);
}

/**
 * Decodes a type 2 TokenRequest (RFC 9578 §6.1).
 *
 * @param bytes - the request body
 * @returns the request
 * @throws {@link CryptoError} `MALFORMED` (shorter than a token type), `UNSUPPORTED_TOKEN_TYPE`, `INVALID_LENGTH`
 * @example
 * ```ts
 * const { truncatedTokenKeyId, blindedMsg } = decodeTokenRequest(body);
 * ```
 */
export function decodeTokenRequest(bytes: Uint8Array): TokenRequest {
  assertBytes(bytes, 'TokenRequest');
  if (bytes.length < 2) throw malformed('TokenRequest is truncated');
  assertTokenType2(readU16(bytes, 0));
  assertBytes(bytes, 'TokenRequest', TOKEN_REQUEST_LENGTH);
  return { tokenType: TOKEN_TYPE_BLIND_RSA, truncatedTokenKeyId: bytes[2], blindedMsg: Uint8Array.from(bytes.subarray(3)) };
}

/**
 * Encodes a type 2 TokenResponse (RFC 9578 §6.2): blind_sig(Nk).
 *
 * @param response - the response
 * @returns 256 bytes
 * @throws {@link CryptoError} `INVALID_LENGTH`, `INVALID_ARGUMENT`
 * @example
 * ```ts
 * encodeTokenResponse({ blindSig });
 * ```
 */
export function encodeTokenResponse(response: TokenResponse): Uint8Array {
  assertBytes(response.blindSig, 'blind_sig', BLIND_RSA_NK);
  return Uint8Array.from(response.blindSig);
}

/**
 * Decodes a type 2 TokenResponse (RFC 9578 §6.2).
 *
 * @param bytes - the response body
 * @returns the response
 * @throws {@link CryptoError} `INVALID_LENGTH`, `INVALID_ARGUMENT`
 * @example
 * ```ts
 * const { blindSig } = decodeTokenResponse(body);
 * ```
 */
export function decodeTokenResponse(bytes: Uint8Array): TokenResponse {
  assertBytes(bytes, 'TokenResponse', BLIND_RSA_NK);
  return { blindSig: Uint8Array.from(bytes) };
}

/**
 * The token input, the message the issuer signs blindly (RFC 9578 §6.1, RFC 9577 §2.2):
 * token_type(2) ‖ nonce(32) ‖ challenge_digest(32) ‖ token_key_id(32).
 *
 * @param token - the token (or the fields of one without its authenticator)
 * @returns 98 bytes
 * @throws {@link CryptoError} `UNSUPPORTED_TOKEN_TYPE`, `INVALID_LENGTH`, `INVALID_ARGUMENT`
 * @example
 * ```ts
 * const input = encodeTokenInput({ tokenType: 2, nonce, challengeDigest, tokenKeyId });
 * ```
 */
export function encodeTokenInput(token: Omit<Token, 'authenticator'>): Uint8Array {
  assertTokenType2(token.tokenType);
  assertBytes(token.nonce, 'nonce', NONCE_LENGTH);
  assertBytes(token.challengeDigest, 'challenge_digest', CHALLENGE_DIGEST_LENGTH);
  assertBytes(token.tokenKeyId, 'token_key_id', TOKEN_KEY_ID_LENGTH);
  return concatBytes(u16(token.tokenType), token.nonce, token.challengeDigest, token.tokenKeyId);
}

/**
 * Encodes a type 2 Token (RFC 9577 §2.2): the token input followed by authenticator(Nk).
 *
 * @param token - the token
 * @returns 354 bytes
 * @throws {@link CryptoError} `UNSUPPORTED_TOKEN_TYPE`, `INVALID_LENGTH`, `INVALID_ARGUMENT`
 * @example
 * ```ts
 * const header = renderAuthorization(encodeToken(token));
 * ```
 */
export function encodeToken(token: Token): Uint8Array {
  assertBytes(token.authenticator, 'authenticator', BLIND_RSA_NK);
  return concatBytes(encodeTokenInput(token), token.authenticator);
}

/**
 * Decodes a type 2 Token (RFC 9577 §2.2).
 *
 * @param bytes - the encoded token
 * @returns the token
 * @throws {@link CryptoError} `MALFORMED` (shorter than a token type), `UNSUPPORTED_TOKEN_TYPE`, `INVALID_LENGTH`
 * @example
 * ```ts
 * const token = decodeToken(parseAuthorization(header));
 * ```
 */
export function decodeToken(bytes: Uint8Array): Token {
  assertBytes(bytes, 'Token');
  if (bytes.length < 2) throw malformed('Token is truncated');
  assertTokenType2(readU16(bytes, 0));
  assertBytes(bytes, 'Token', TOKEN_LENGTH);
  const copy = Uint8Array.from(bytes);
  let off = 2;
  const next = (n: number): Uint8Array => copy.subarray(off, (off += n));
  return {
    tokenType: TOKEN_TYPE_BLIND_RSA,
    nonce: next(NONCE_LENGTH),
    challengeDigest: next(CHALLENGE_DIGEST_LENGTH),
    tokenKeyId: next(TOKEN_KEY_ID_LENGTH),
    authenticator: next(BLIND_RSA_NK),
  };
}
