import { assertBytes, assertInteger, assertString } from '../asserts';
import { base64urlDecode, base64urlEncode } from '../bytes';
import { CryptoError, CryptoErrorCode, isCryptoError } from '../errors';
import { AUTH_SCHEME_NAME } from './constants';
import { decodeTokenChallenge, encodeTokenChallenge, type TokenChallenge } from './wire';

/** One parsed RFC 9110 §11 challenge or credentials: a scheme with auth-params or a token68. */
export interface AuthChallenge {
  /** The scheme as written. */
  readonly scheme: string;
  /** auth-params, names lowercased, quoted values unescaped. */
  readonly params: ReadonlyMap<string, string>;
  /** The token68, when the challenge carries one instead of params. */
  readonly token68?: string;
}

/** One `PrivateToken` challenge from a WWW-Authenticate header (RFC 9577 §2.1). */
export interface PrivateTokenChallenge {
  /** The decoded challenge. */
  readonly challenge: TokenChallenge;
  /** The challenge's exact bytes as sent (hash these for the challenge digest). */
  readonly challengeBytes: Uint8Array;
  /** The issuer's token-key bytes (an SPKI for type 2). */
  readonly tokenKey: Uint8Array;
  /** Seconds the origin will accept the challenge for, when given. */
  readonly maxAge?: number;
}

/** What to render into a WWW-Authenticate header. */
export interface PrivateTokenChallengeInput {
  /** The challenge, or its encoded bytes. */
  readonly challenge: TokenChallenge | Uint8Array;
  /** The issuer's token-key bytes. */
  readonly tokenKey: Uint8Array;
  /** Optional max-age in seconds. */
  readonly maxAge?: number;
}

// RFC 9110 §5.6.2 tchar; §5.6.4 quoted-string; §11.2 token68.
const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
// Unquoted values: a token, plus trailing '=' seen in the wild for padded base64url values
// (cloudflare/privacypass-ts accepts these as "non-compliant tokens").
const VALUE_TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+=*/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;
const QUOTED = /"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"/y;

function malformed(why: string): CryptoError {
  return new CryptoError(CryptoErrorCode.MALFORMED, `bad authentication header: ${why}`);
}

/**
 * Parses a WWW-Authenticate or Authorization field value into its challenges (RFC 9110 §11.6.1
 * grammar: comma-separated challenges, each a scheme followed by a token68 or auth-params whose
 * values are tokens or quoted strings).
 *
 * @param header - the field value (several header lines may be joined with commas)
 * @returns the challenges in order
 * @throws {@link CryptoError} `MALFORMED` when the value does not follow the grammar or repeats a parameter
 * @example
 * ```ts
 * parseAuthChallenges('Basic realm="x", PrivateToken challenge=abc, token-key=def');
 * ```
 */
export function parseAuthChallenges(header: string): AuthChallenge[] {
  assertString(header, 'header');
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const ows = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const match = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    const m = re.exec(header);
    if (m) i = re.lastIndex;
    return m;
  };
  const skipSeparators = (): void => {
    ows();
    while (i < n && header[i] === ',') {
      i++;
      ows();
    }
  };
  const atEndOfElement = (): boolean => {
    const save = i;
    ows();
    const end = i >= n || header[i] === ',';
    i = save;
    return end;
  };

  skipSeparators();
  while (i < n) {
    const scheme = match(TOKEN);
    if (!scheme) throw malformed(`expected a scheme at ${i}`);
    if (i < n && header[i] !== ' ' && header[i] !== '\t' && header[i] !== ',') {
      throw malformed(`unexpected character after scheme at ${i}`);
    }
    const params = new Map<string, string>();
    let token68: string | undefined;
    ows();
    const start = i;
    const t68 = match(TOKEN68);
    if (t68 && atEndOfElement()) {
      token68 = t68[0];
    } else {
      i = start;
      for (;;) {
        skipSeparators();
        if (i >= n) break;
        const save = i;
        const name = match(TOKEN);
        if (!name) throw malformed(`expected a parameter at ${i}`);
        ows();
        if (header[i] !== '=') {
          i = save; // a token not followed by '=' starts the next challenge
          break;
        }
        i++;
        ows();
        let value: string;
        const quoted = match(QUOTED);
        if (quoted) value = quoted[1].replace(/\\(.)/g, '$1');
        else {
          const bare = match(VALUE_TOKEN);
          if (!bare) throw malformed(`expected a value at ${i}`);
          value = bare[0];
        }
        const key = name[0].toLowerCase();
        if (params.has(key)) throw malformed(`parameter ${key} repeated`);
        params.set(key, value);
        ows();
        if (i < n && header[i] !== ',') throw malformed(`expected ',' at ${i}`);
      }
    }
    out.push(token68 === undefined ? { scheme: scheme[0], params } : { scheme: scheme[0], params, token68 });
    skipSeparators();
  }
  return out;
}

function decodeParam(value: string | undefined, name: string): Uint8Array {
  if (value === undefined) throw malformed(`PrivateToken challenge lacks ${name}`);
  try {
    return base64urlDecode(value);
  } catch (err) {
    if (isCryptoError(err)) throw malformed(`${name} is not base64url`);
    throw err;
  }
}

/** base64url with `=` padding, as RFC 9577's examples and vectors (and privacypass-ts) write it. */
function base64urlPadded(bytes: Uint8Array): string {
  const s = base64urlEncode(bytes);
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

function isPrivateToken(c: AuthChallenge): boolean {
  return c.scheme.toLowerCase() === AUTH_SCHEME_NAME.toLowerCase();
}

/**
 * Parses the `PrivateToken` challenges of a WWW-Authenticate header (RFC 9577 §2.1), ignoring other
 * schemes and unknown parameters. Values may be quoted or bare, padded or unpadded base64url.
 *
 * @param header - the WWW-Authenticate field value
 * @returns every PrivateToken challenge, in order (possibly none)
 * @throws {@link CryptoError} `MALFORMED` for a bad header, a challenge missing `challenge` or
 *   `token-key`, undecodable values, or a non-numeric max-age
 * @example
 * ```ts
 * const [{ challenge, tokenKey, maxAge }] = parseWwwAuthenticate(res.headers['www-authenticate']);
 * ```
 */
export function parseWwwAuthenticate(header: string): PrivateTokenChallenge[] {
  return parseAuthChallenges(header)
    .filter(isPrivateToken)
    .map((c) => {
      const challengeBytes = decodeParam(c.params.get('challenge'), 'challenge');
      const tokenKey = decodeParam(c.params.get('token-key'), 'token-key');
      let challenge: TokenChallenge;
      try {
        challenge = decodeTokenChallenge(challengeBytes);
      } catch (err) {
        if (isCryptoError(err)) throw malformed('challenge is not a TokenChallenge');
        throw err;
      }
      const maxAgeText = c.params.get('max-age');
      if (maxAgeText === undefined) return { challenge, challengeBytes, tokenKey };
      if (!/^\d{1,15}$/.test(maxAgeText)) throw malformed('max-age is not a number of seconds');
      return { challenge, challengeBytes, tokenKey, maxAge: Number(maxAgeText) };
    });
}

/**
 * Renders one or more `PrivateToken` challenges as a WWW-Authenticate value (RFC 9577 §2.1), with
 * quoted, padded base64url values, e.g. `PrivateToken challenge="…", token-key="…", max-age="10"`.
 *
 * @param challenges - one challenge or several (rendered comma-separated, in order)
 * @returns the field value
 * @throws {@link CryptoError} `INVALID_ARGUMENT` for an empty list, bad bytes or a bad max-age;
 *   as {@link encodeTokenChallenge} for a bad challenge
 * @example
 * ```ts
 * res.header('WWW-Authenticate', renderWwwAuthenticate({ challenge, tokenKey, maxAge: 60 }));
 * ```
 */
export function renderWwwAuthenticate(
  challenges: PrivateTokenChallengeInput | readonly PrivateTokenChallengeInput[],
): string {
  const list = Array.isArray(challenges) ? challenges : [challenges as PrivateTokenChallengeInput];
  if (list.length === 0) throw new CryptoError(CryptoErrorCode.INVALID_ARGUMENT, 'no challenges to render');
  return list
    .map(({ challenge, tokenKey, maxAge }) => {
      const bytes = challenge instanceof Uint8Array ? challenge : encodeTokenChallenge(challenge);
      assertBytes(tokenKey, 'token-key');
      let out = `${AUTH_SCHEME_NAME} challenge="${base64urlPadded(bytes)}", token-key="${base64urlPadded(tokenKey)}"`;
      if (maxAge !== undefined) {
        assertInteger(maxAge, 'max-age', 0, Number.MAX_SAFE_INTEGER);
        out += `, max-age="${maxAge}"`;
      }
      return out;
    })
    .join(', ');
}

/**
 * Extracts the token bytes from an `Authorization: PrivateToken token=…` value (RFC 9577 §2.2.2).
 * The value may be quoted or bare, padded or not. When several PrivateToken credentials are present
 * the first is returned.
 *
 * @param header - the Authorization field value
 * @returns the encoded token bytes (decode with {@link decodeToken})
 * @throws {@link CryptoError} `MALFORMED` when there is no PrivateToken credential with a base64url token
 * @example
 * ```ts
 * const token = decodeToken(parseAuthorization(req.headers.authorization));
 * ```
 */
export function parseAuthorization(header: string): Uint8Array {
  const found = parseAuthChallenges(header).find(isPrivateToken);
  if (!found) throw malformed('no PrivateToken credentials');
  return decodeParam(found.params.get('token'), 'token');
}

/**
 * Renders an Authorization value for a token (RFC 9577 §2.2.2): `PrivateToken token="…"`.
 *
 * @param token - the encoded token bytes
 * @returns the field value
 * @throws {@link CryptoError} `INVALID_ARGUMENT` when not bytes
 * @example
 * ```ts
 * fetch(url, { headers: { Authorization: renderAuthorization(encodeToken(token)) } });
 * ```
 */
export function renderAuthorization(token: Uint8Array): string {
  assertBytes(token, 'token');
  return `${AUTH_SCHEME_NAME} token="${base64urlPadded(token)}"`;
}
