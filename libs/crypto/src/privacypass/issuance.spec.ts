import { generateKeyPairSync, type RSAPSSKeyPairKeyObjectOptions } from 'node:crypto';
import fc from 'fast-check';
import { CryptoError, CryptoErrorCode } from '../errors';
import { generateIssuerKeyPair, type IssuerKeyPair } from '../issuer-keys';
import { activeTokenKeys, parseIssuerDirectory, renderIssuerDirectory } from './directory';
import { parseAuthorization, parseWwwAuthenticate } from './headers';
import {
  assertValidToken,
  createTokenRequest,
  finalizeToken,
  issueTokenResponse,
  publishedTokenKey,
  verifyToken,
} from './issuance';
import { encodeTokenKey, parseTokenKey } from './spki';
import {
  challengeDigest,
  decodeToken,
  decodeTokenChallenge,
  decodeTokenRequest,
  decodeTokenResponse,
  encodeToken,
  encodeTokenChallenge,
  type TokenChallenge,
} from './wire';
import { codeOf } from '../../test/code-of';


const challenge: TokenChallenge = {
  tokenType: 2,
  issuerName: 'auth.phoenix.example',
  redemptionContext: new Uint8Array(32).fill(7),
  originInfo: ['config.phoenix.example'],
};

describe('Privacy Pass type 2 issuance', () => {
  let issuer: IssuerKeyPair;
  let other: IssuerKeyPair;
  let tokenBytes: Uint8Array;

  beforeAll(async () => {
    [issuer, other] = await Promise.all([generateIssuerKeyPair(), generateIssuerKeyPair()]);
    const { request, state } = createTokenRequest(issuer.tokenKey, challenge);
    tokenBytes = encodeToken(finalizeToken(state, issueTokenResponse(issuer.privateKey, request)));
  });

  test('a token issued for a challenge verifies against the token-key, the KeyObject and the digest', () => {
    expect(tokenBytes).toHaveLength(354);
    expect(verifyToken(issuer.tokenKey, tokenBytes)).toBe(true);
    expect(verifyToken(issuer.publicKey, tokenBytes, challengeDigest(challenge))).toBe(true);
    expect(assertValidToken(issuer.tokenKey, tokenBytes).tokenKeyId).toEqual(issuer.keyId);
  });

  test('any challenge, blinded, issued and finalized, verifies (property)', () => {
    const challenges = fc.record({
      tokenType: fc.constant(2),
      issuerName: fc.string({ minLength: 1, maxLength: 40 }),
      redemptionContext: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      originInfo: fc.array(fc.stringMatching(/^[a-z0-9.-]{1,20}$/), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(challenges, (chl) => {
        const { request, state } = createTokenRequest(issuer.tokenKey, chl);
        const token = finalizeToken(state, issueTokenResponse(issuer.privateKey, request));
        return verifyToken(issuer.tokenKey, encodeToken(token), challengeDigest(chl));
      }),
      { numRuns: 25 },
    );
  });

  test('flipping any bit of a token makes it fail verification (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: tokenBytes.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(tokenBytes);
        bad[bit >> 3] ^= 1 << (bit & 7);
        return !verifyToken(issuer.tokenKey, bad);
      }),
      { numRuns: 300 },
    );
  });

  test('flipping any bit of the key id or signature gives UNKNOWN_KEY or INVALID_SIGNATURE', () => {
    const token = decodeToken(tokenBytes);
    fc.assert(
      fc.property(fc.nat({ max: 32 * 8 - 1 }), fc.nat({ max: 256 * 8 - 1 }), (keyBit, sigBit) => {
        const keyId = Uint8Array.from(token.tokenKeyId);
        keyId[keyBit >> 3] ^= 1 << (keyBit & 7);
        const sig = Uint8Array.from(token.authenticator);
        sig[sigBit >> 3] ^= 1 << (sigBit & 7);
        return (
          codeOf(() => assertValidToken(issuer.tokenKey, { ...token, tokenKeyId: keyId })) === CryptoErrorCode.UNKNOWN_KEY &&
          codeOf(() => assertValidToken(issuer.tokenKey, { ...token, authenticator: sig })) ===
            CryptoErrorCode.INVALID_SIGNATURE
        );
      }),
      { numRuns: 100 },
    );
  });

  test('a token is refused for another challenge digest or another issuer key', () => {
    const otherDigest = challengeDigest({ ...challenge, redemptionContext: new Uint8Array(0) });
    expect(codeOf(() => assertValidToken(issuer.tokenKey, tokenBytes, otherDigest))).toBe(CryptoErrorCode.CHALLENGE_MISMATCH);
    expect(verifyToken(issuer.tokenKey, tokenBytes, otherDigest)).toBe(false);
    expect(codeOf(() => assertValidToken(other.tokenKey, tokenBytes))).toBe(CryptoErrorCode.UNKNOWN_KEY);
    expect(verifyToken(other.tokenKey, tokenBytes)).toBe(false);
  });

  test('the issuer refuses a request for another key with UNKNOWN_KEY', () => {
    let request: Uint8Array;
    do {
      request = createTokenRequest(other.tokenKey, challenge).request;
    } while (request[2] === issuer.keyId[31]);
    expect(codeOf(() => issueTokenResponse(issuer.privateKey, request))).toBe(CryptoErrorCode.UNKNOWN_KEY);
  });

  test('the issuer refuses blinded_msg >= n with MESSAGE_OUT_OF_RANGE', () => {
    const request = new Uint8Array(259).fill(0xff);
    request.set([0, 2, issuer.keyId[31]]);
    expect(codeOf(() => issueTokenResponse(issuer.privateKey, request))).toBe(CryptoErrorCode.MESSAGE_OUT_OF_RANGE);
  });

  test('wrong token types and lengths get typed errors', () => {
    const { request } = createTokenRequest(issuer.tokenKey, challenge);
    expect(codeOf(() => decodeTokenRequest(Uint8Array.from([0, 1, ...request.subarray(2)])))).toBe(
      CryptoErrorCode.UNSUPPORTED_TOKEN_TYPE,
    );
    expect(codeOf(() => decodeTokenRequest(request.subarray(0, 258)))).toBe(CryptoErrorCode.INVALID_LENGTH);
    expect(codeOf(() => decodeTokenRequest(Uint8Array.of(0)))).toBe(CryptoErrorCode.MALFORMED);
    expect(codeOf(() => decodeToken(tokenBytes.subarray(0, 353)))).toBe(CryptoErrorCode.INVALID_LENGTH);
    expect(codeOf(() => decodeTokenResponse(new Uint8Array(255)))).toBe(CryptoErrorCode.INVALID_LENGTH);
    expect(codeOf(() => createTokenRequest(issuer.tokenKey, { ...challenge, tokenType: 1 }))).toBe(
      CryptoErrorCode.UNSUPPORTED_TOKEN_TYPE,
    );
    const { state } = createTokenRequest(issuer.tokenKey, challenge);
    expect(codeOf(() => finalizeToken(state, new Uint8Array(256)))).toBe(CryptoErrorCode.INVALID_SIGNATURE);
  });

  test('random byte strings raise only CryptoErrors from every decoder and entry point (property)', () => {
    const { state } = createTokenRequest(issuer.tokenKey, challenge);
    const entryPoints: Array<(b: Uint8Array) => unknown> = [
      decodeToken,
      decodeTokenRequest,
      decodeTokenResponse,
      decodeTokenChallenge,
      parseTokenKey,
      (b) => issueTokenResponse(issuer.privateKey, b),
      (b) => finalizeToken(state, b),
      (b) => assertValidToken(issuer.tokenKey, b),
      (b) => createTokenRequest(b, challenge),
      (b) => createTokenRequest(issuer.tokenKey, b),
    ];
    const lengths = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.constantFrom(259, 354, 256, 342).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.uint8Array({ minLength: 2, maxLength: 400 }).map((b) => Uint8Array.from([0, 2, ...b])),
    );
    fc.assert(
      fc.property(lengths, (bytes) => {
        expect(verifyToken(issuer.tokenKey, bytes)).toBe(false);
        for (const fn of entryPoints) {
          const code = codeOf(() => fn(bytes));
          if (code === 'not a CryptoError') return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  test('non-byte inputs raise CryptoError INVALID_ARGUMENT, not TypeErrors', () => {
    for (const bad of [undefined, null, 'abc', 42, {}, [1, 2]]) {
      expect(codeOf(() => decodeToken(bad as unknown as Uint8Array))).toBe(CryptoErrorCode.INVALID_ARGUMENT);
      expect(codeOf(() => issueTokenResponse(issuer.privateKey, bad as unknown as Uint8Array))).toBe(
        CryptoErrorCode.INVALID_ARGUMENT,
      );
    }
  });

  test('publishedTokenKey gives the 342-byte RSASSA-PSS SPKI and keys of other sizes are refused', () => {
    expect(publishedTokenKey(issuer.privateKey)).toEqual(issuer.tokenKey);
    expect(issuer.tokenKey).toHaveLength(342);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(codeOf(() => publishedTokenKey(small.publicKey))).toBe(CryptoErrorCode.INVALID_KEY);
    expect(codeOf(() => parseTokenKey(encodeTokenKey(small.publicKey)))).toBe(CryptoErrorCode.INVALID_KEY);
    expect(codeOf(() => createTokenRequest(small.publicKey, challenge))).toBe(CryptoErrorCode.INVALID_KEY);
    // Node's own rsa-pss SPKI (NULL hash parameters, 346 bytes) is not the published form.
    // (@types/node types saltLength as a string; Node wants a number.)
    const pssOptions = { modulusLength: 2048, hashAlgorithm: 'sha384', mgf1HashAlgorithm: 'sha384', saltLength: 48 };
    const nodePss = generateKeyPairSync('rsa-pss', pssOptions as unknown as RSAPSSKeyPairKeyObjectOptions).publicKey.export({ format: 'der', type: 'spki' });
    expect(nodePss).toHaveLength(346);
    expect(codeOf(() => parseTokenKey(nodePss))).toBe(CryptoErrorCode.INVALID_KEY);
  });

  test('a flipped bit in the published token-key is refused or names another key', () => {
    fc.assert(
      fc.property(fc.nat({ max: 342 * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(issuer.tokenKey);
        bad[bit >> 3] ^= 1 << (bit & 7);
        try {
          return !verifyToken(bad, tokenBytes);
        } catch (err) {
          return err instanceof CryptoError && err.code === CryptoErrorCode.INVALID_KEY;
        }
      }),
      { numRuns: 100 },
    );
  });

  test('issuer directory renders, parses and yields the active keys with their ids', () => {
    const now = 1_700_000_000;
    const json = JSON.stringify(
      renderIssuerDirectory({
        issuerRequestUri: 'https://auth.phoenix.example/token-request',
        tokenKeys: [
          { tokenType: 2, tokenKey: issuer.tokenKey, notBefore: now - 10 },
          { tokenType: 2, tokenKey: other.tokenKey, notBefore: now + 3600 },
          { tokenType: 1, tokenKey: new Uint8Array(49).fill(2) },
        ],
      }),
    );
    const raw = JSON.parse(json);
    expect(raw['token-keys'][0]).toEqual({ 'token-type': 2, 'token-key': expect.any(String), 'not-before': now - 10 });
    const directory = parseIssuerDirectory(json);
    expect(directory.tokenKeys).toHaveLength(3);
    const active = activeTokenKeys(directory, now);
    expect(active).toHaveLength(1);
    expect(active[0].tokenKeyId).toEqual(issuer.keyId);
    expect(verifyToken(active[0].publicKey, tokenBytes)).toBe(true);
  });

  test('issuer directory parsing refuses bad shapes with typed errors', () => {
    const good = { 'issuer-request-uri': 'https://x', 'token-keys': [] };
    expect(parseIssuerDirectory(good).tokenKeys).toEqual([]);
    for (const bad of [
      'not json',
      '[]',
      { 'token-keys': [] },
      { ...good, 'token-keys': 'x' },
      { ...good, 'token-keys': [{ 'token-type': 2, 'token-key': '***' }] },
      { ...good, 'token-keys': [{ 'token-type': 'two', 'token-key': 'AA' }] },
      { ...good, 'token-keys': [{ 'token-type': 2, 'token-key': 'AA', 'not-before': -1 }] },
    ]) {
      expect(codeOf(() => parseIssuerDirectory(bad))).toBe(CryptoErrorCode.MALFORMED);
    }
    expect(codeOf(() => parseIssuerDirectory({ ...good, 'token-keys': [{ 'token-type': 2, 'token-key': 'AAAA' }] }))).toBe(
      CryptoErrorCode.INVALID_KEY,
    );
  });

  test('challenge encoding refuses bad fields and decoding refuses trailing bytes', () => {
    expect(codeOf(() => encodeTokenChallenge({ ...challenge, redemptionContext: new Uint8Array(5) }))).toBe(
      CryptoErrorCode.INVALID_LENGTH,
    );
    expect(codeOf(() => encodeTokenChallenge({ ...challenge, issuerName: '' }))).toBe(CryptoErrorCode.INVALID_LENGTH);
    expect(codeOf(() => encodeTokenChallenge({ ...challenge, originInfo: ['a,b'] }))).toBe(CryptoErrorCode.INVALID_ARGUMENT);
    const bytes = encodeTokenChallenge(challenge);
    expect(codeOf(() => decodeTokenChallenge(Uint8Array.from([...bytes, 0])))).toBe(CryptoErrorCode.MALFORMED);
    expect(decodeTokenChallenge(bytes)).toEqual({ ...challenge, originInfo: ['config.phoenix.example'] });
  });

  test('the full HTTP flow: challenge header → request → token → Authorization header → verify', () => {
    const header = `PrivateToken challenge="${Buffer.from(encodeTokenChallenge(challenge)).toString('base64url')}", token-key="${Buffer.from(issuer.tokenKey).toString('base64url')}"`;
    const [parsed] = parseWwwAuthenticate(header);
    const { request, state } = createTokenRequest(parsed.tokenKey, parsed.challengeBytes);
    const token = finalizeToken(state, issueTokenResponse(issuer.privateKey, request));
    const auth = `PrivateToken token=${Buffer.from(encodeToken(token)).toString('base64url')}`;
    expect(verifyToken(issuer.tokenKey, parseAuthorization(auth), challengeDigest(parsed.challengeBytes))).toBe(true);
  });
});
