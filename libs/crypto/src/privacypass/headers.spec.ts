import fc from 'fast-check';
import { CryptoErrorCode } from '../errors';
import {
  parseAuthChallenges,
  parseAuthorization,
  parseWwwAuthenticate,
  renderAuthorization,
  renderWwwAuthenticate,
} from './headers';
import { encodeTokenChallenge } from './wire';
import { codeOf } from '../../test/code-of';

const challenge = encodeTokenChallenge({
  tokenType: 2,
  issuerName: 'issuer.example',
  redemptionContext: new Uint8Array(0),
  originInfo: [],
});
const tokenKey = Uint8Array.of(1, 2, 3, 4, 5);
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');


describe('RFC 9110 auth challenge parsing', () => {
  test('splits several schemes, params with quoted and bare values, and token68', () => {
    const parsed = parseAuthChallenges('Basic realm="a \\"b\\"", Bearer abc.def==, PrivateToken challenge=x, token-key="y"');
    expect(parsed.map((c) => c.scheme)).toEqual(['Basic', 'Bearer', 'PrivateToken']);
    expect(parsed[0].params.get('realm')).toBe('a "b"');
    expect(parsed[1].token68).toBe('abc.def==');
    expect([...parsed[2].params]).toEqual([
      ['challenge', 'x'],
      ['token-key', 'y'],
    ]);
  });

  test('accepts schemes without params and empty list elements', () => {
    expect(parseAuthChallenges(' , Negotiate, ,Basic').map((c) => c.scheme)).toEqual(['Negotiate', 'Basic']);
  });

  test.each([
    ['unterminated quote', 'PrivateToken challenge="abc'],
    ['repeated parameter', 'PrivateToken challenge=a, challenge=b'],
    ['missing value', 'PrivateToken a=b, challenge='],
    ['junk after value', 'PrivateToken challenge="a" b'],
    ['bad scheme', '"PrivateToken"'],
  ])('rejects %s with MALFORMED', (_name, header) => {
    expect(codeOf(() => parseAuthChallenges(header))).toBe(CryptoErrorCode.MALFORMED);
  });

  test('random strings raise only CryptoErrors (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const code = codeOf(() => parseWwwAuthenticate(s));
        const code2 = codeOf(() => parseAuthorization(s));
        return code !== 'not a CryptoError' && code2 !== 'not a CryptoError';
      }),
      { numRuns: 300 },
    );
  });
});

describe('PrivateToken WWW-Authenticate', () => {
  test('render then parse round-trips one or several challenges with max-age', () => {
    const header = renderWwwAuthenticate([
      { challenge, tokenKey, maxAge: 10 },
      { challenge, tokenKey },
    ]);
    const parsed = parseWwwAuthenticate(header);
    expect(parsed).toHaveLength(2);
    expect(parsed[0].challengeBytes).toEqual(challenge);
    expect(parsed[0].tokenKey).toEqual(tokenKey);
    expect(parsed[0].maxAge).toBe(10);
    expect(parsed[1].maxAge).toBeUndefined();
  });

  test('tolerates bare values, missing padding, other schemes and case of the scheme', () => {
    const header = `Basic realm="x", privatetoken challenge=${b64(challenge)},token-key=${b64(tokenKey)}, max-age=5`;
    const [parsed] = parseWwwAuthenticate(header);
    expect(parsed.challengeBytes).toEqual(challenge);
    expect(parsed.maxAge).toBe(5);
  });

  test('returns nothing when there is no PrivateToken challenge', () => {
    expect(parseWwwAuthenticate('Basic realm="x"')).toEqual([]);
  });

  test.each([
    ['missing token-key', `PrivateToken challenge="${b64(challenge)}"`],
    ['missing challenge', `PrivateToken token-key="${b64(tokenKey)}"`],
    ['challenge not base64url', `PrivateToken challenge="a+b/", token-key="AA"`],
    ['challenge not a TokenChallenge', `PrivateToken challenge="AAAA", token-key="AA"`],
    ['bad max-age', `PrivateToken challenge="${b64(challenge)}", token-key="AA", max-age="-1"`],
  ])('rejects %s with MALFORMED', (_name, header) => {
    expect(codeOf(() => parseWwwAuthenticate(header))).toBe(CryptoErrorCode.MALFORMED);
  });
});

describe('PrivateToken Authorization', () => {
  test('renders quoted padded base64url and parses quoted, bare and unpadded forms', () => {
    const token = Uint8Array.of(0, 2, 9, 9);
    const header = renderAuthorization(token);
    expect(header).toBe('PrivateToken token="AAIJCQ=="');
    expect(parseAuthorization(header)).toEqual(token);
    expect(parseAuthorization('PrivateToken token=AAIJCQ==')).toEqual(token);
    expect(parseAuthorization('PrivateToken token=AAIJCQ')).toEqual(token);
  });

  test('refuses headers without a PrivateToken token', () => {
    expect(codeOf(() => parseAuthorization('Bearer abc'))).toBe(CryptoErrorCode.MALFORMED);
    expect(codeOf(() => parseAuthorization('PrivateToken foo=bar'))).toBe(CryptoErrorCode.MALFORMED);
  });
});
