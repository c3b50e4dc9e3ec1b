import type { KeyObject } from 'node:crypto';
import { assertBytes, assertInteger, assertString } from '../asserts';
import { base64urlDecode, base64urlEncode } from '../bytes';
import { CryptoError, CryptoErrorCode, isCryptoError } from '../errors';
import { TOKEN_TYPE_BLIND_RSA } from './constants';
import { parseTokenKey, tokenKeyIdFromBytes } from './spki';

/** The issuer directory as served at `/.well-known/private-token-issuer-directory` (RFC 9578 §4). */
export interface IssuerDirectoryJson {
  'issuer-request-uri': string;
  'token-keys': Array<{ 'token-type': number; 'token-key': string; 'not-before'?: number }>;
}

/** One key of an issuer directory, decoded. */
export interface IssuerDirectoryKey {
  /** Token type the key is for (2 for Blind RSA). */
  readonly tokenType: number;
  /** The token-key bytes (for type 2, the RSASSA-PSS SPKI). */
  readonly tokenKey: Uint8Array;
  /** Unix time in seconds from which clients may use the key. */
  readonly notBefore?: number;
}

/** An issuer directory, decoded. */
export interface IssuerDirectory {
  /** Where clients POST token requests. */
  readonly issuerRequestUri: string;
  /** Keys, newest first by RFC 9578 §4 convention. */
  readonly tokenKeys: readonly IssuerDirectoryKey[];
}

/** A usable type 2 key from a directory. */
export interface ActiveTokenKey {
  readonly tokenKey: Uint8Array;
  readonly tokenKeyId: Uint8Array;
  readonly publicKey: KeyObject;
  readonly notBefore?: number;
}

function malformed(why: string): CryptoError {
  return new CryptoError(CryptoErrorCode.MALFORMED, `bad issuer directory: ${why}`);
}

/**
 * Renders an issuer directory to its JSON shape (RFC 9578 §4); `JSON.stringify` the result.
 *
 * @param directory - the directory
 * @returns the JSON object, token keys as base64url
 * @throws {@link CryptoError} `INVALID_ARGUMENT` for bad fields
 * @example
 * ```ts
 * renderIssuerDirectory({ issuerRequestUri: 'https://auth.example/token-request', tokenKeys: [{ tokenType: 2, tokenKey }] });
 * ```
 */
export function renderIssuerDirectory(directory: IssuerDirectory): IssuerDirectoryJson {
  assertString(directory.issuerRequestUri, 'issuer-request-uri');
  return {
    'issuer-request-uri': directory.issuerRequestUri,
    'token-keys': directory.tokenKeys.map((k) => {
      assertInteger(k.tokenType, 'token-type', 0, 0xffff);
      assertBytes(k.tokenKey, 'token-key');
      const entry: IssuerDirectoryJson['token-keys'][number] = {
        'token-type': k.tokenType,
        'token-key': base64urlEncode(k.tokenKey),
      };
      if (k.notBefore !== undefined) {
        assertInteger(k.notBefore, 'not-before', 0, Number.MAX_SAFE_INTEGER);
        entry['not-before'] = k.notBefore;
      }
      return entry;
    }),
  };
}

/**
 * Parses an issuer directory (RFC 9578 §4), from JSON text or an already parsed value. Keys of
 * other token types are kept (undecoded beyond base64url); type 2 keys must be valid token keys.
 *
 * @param input - JSON text or the parsed object
 * @returns the directory
 * @throws {@link CryptoError} `MALFORMED` for bad JSON or shape, `INVALID_KEY` for a bad type 2 key
 * @example
 * ```ts
 * const directory = parseIssuerDirectory(await (await fetch(url)).text());
 * ```
 */
export function parseIssuerDirectory(input: unknown): IssuerDirectory {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw malformed('not JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('not an object');
  const obj = value as Record<string, unknown>;
  const uri = obj['issuer-request-uri'];
  const keys = obj['token-keys'];
  if (typeof uri !== 'string' || uri.length === 0) throw malformed('issuer-request-uri missing');
  if (!Array.isArray(keys)) throw malformed('token-keys missing');
  const tokenKeys = keys.map((raw): IssuerDirectoryKey => {
    if (typeof raw !== 'object' || raw === null) throw malformed('token-keys entry is not an object');
    const k = raw as Record<string, unknown>;
    const tokenType = k['token-type'];
    const keyText = k['token-key'];
    const notBefore = k['not-before'];
    if (typeof tokenType !== 'number' || !Number.isInteger(tokenType) || tokenType < 0 || tokenType > 0xffff) {
      throw malformed('token-type is not a uint16');
    }
    if (typeof keyText !== 'string') throw malformed('token-key is not a string');
    if (notBefore !== undefined && (typeof notBefore !== 'number' || !Number.isSafeInteger(notBefore) || notBefore < 0)) {
      throw malformed('not-before is not a timestamp');
    }
    let tokenKey: Uint8Array;
    try {
      tokenKey = base64urlDecode(keyText);
    } catch (err) {
      if (isCryptoError(err)) throw malformed('token-key is not base64url');
      throw err;
    }
    if (tokenType === TOKEN_TYPE_BLIND_RSA) parseTokenKey(tokenKey);
    return notBefore === undefined ? { tokenType, tokenKey } : { tokenType, tokenKey, notBefore };
  });
  return { issuerRequestUri: uri, tokenKeys };
}

/**
 * The type 2 keys of a directory that are in force at `nowSeconds` (no not-before, or not-before
 * reached), with their key ids and imported public keys.
 *
 * @param directory - a parsed directory
 * @param nowSeconds - the current Unix time in seconds
 * @returns the active keys, in directory order
 * @throws {@link CryptoError} `INVALID_KEY` when a type 2 key is invalid
 * @example
 * ```ts
 * const keys = activeTokenKeys(directory, Math.floor(Date.now() / 1000));
 * ```
 */
export function activeTokenKeys(directory: IssuerDirectory, nowSeconds: number): ActiveTokenKey[] {
  return directory.tokenKeys
    .filter((k) => k.tokenType === TOKEN_TYPE_BLIND_RSA && (k.notBefore === undefined || k.notBefore <= nowSeconds))
    .map((k) => {
      const base = { tokenKey: k.tokenKey, tokenKeyId: tokenKeyIdFromBytes(k.tokenKey), publicKey: parseTokenKey(k.tokenKey) };
      return k.notBefore === undefined ? base : { ...base, notBefore: k.notBefore };
    });
}
