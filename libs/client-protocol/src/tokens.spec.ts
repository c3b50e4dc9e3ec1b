import {
  blindSignRaw,
  challengeDigest,
  encodeTokenChallenge,
  generateIssuerKeyPair,
  parseAuthorization,
  renderIssuerDirectory,
  verifyToken,
  type IssuerKeyPair,
} from '@phoenix/crypto';
import { base64urlDecode, base64urlEncode } from './bytes';
import { MAX_TOKEN_BATCH, blindTokenRequests, currentTokenKey, privateTokenAuthorization } from './tokens';

// The browser's issuance against the project's own issuer code (@phoenix/crypto, what auth-service
// signs with and config-service verifies with): tokens made here must redeem there.
describe('client token issuance', () => {
  let issuer: IssuerKeyPair;
  let next: IssuerKeyPair;
  const challenge = encodeTokenChallenge({ tokenType: 2, issuerName: 'issuer.example', redemptionContext: new Uint8Array(0), originInfo: ['phoenix-vpn'] });

  beforeAll(async () => {
    [issuer, next] = await Promise.all([generateIssuerKeyPair(), generateIssuerKeyPair()]);
  });

  function directory(nowSec: number) {
    return renderIssuerDirectory({
      issuerRequestUri: '/token-request',
      tokenKeys: [
        { tokenType: 2, tokenKey: issuer.tokenKey, notBefore: nowSec - 60 },
        { tokenType: 2, tokenKey: next.tokenKey, notBefore: nowSec + 3600 },
      ],
    });
  }

  it('takes the newest key whose not-before has passed, and names its key id as auth-service does', () => {
    const now = 1_800_000_000;
    const key = currentTokenKey(directory(now), now);
    expect(base64urlEncode(key.tokenKey)).toBe(base64urlEncode(issuer.tokenKey));
    expect(key.tokenKeyId).toBe(base64urlEncode(issuer.keyId));
    expect(base64urlEncode(currentTokenKey(directory(now), now + 3600).tokenKey)).toBe(base64urlEncode(next.tokenKey));
    expect(() => currentTokenKey({ 'token-keys': [] }, now)).toThrow(/no usable key/);
    expect(() => currentTokenKey(null, now)).toThrow(/no token-keys/);
  });

  it('blinds a batch; the issuer signs only blinded messages; the finished tokens verify for the challenge', async () => {
    const batch = await blindTokenRequests({ tokenKey: issuer.tokenKey }, challenge, 3);
    expect(batch.blindedMessages).toHaveLength(3);
    expect(new Set(batch.blindedMessages).size).toBe(3);
    for (const m of batch.blindedMessages) expect(base64urlDecode(m)).toHaveLength(256);
    const signatures = batch.blindedMessages.map((m) => base64urlEncode(blindSignRaw(issuer.privateKey, base64urlDecode(m))));
    const tokens = await batch.finalize(signatures);
    expect(new Set(tokens).size).toBe(3);
    for (const token of tokens) {
      expect(verifyToken(issuer.tokenKey, base64urlDecode(token), challengeDigest(challenge))).toBe(true);
      // What config-service parses out of the header is the same token.
      expect(base64urlEncode(parseAuthorization(privateTokenAuthorization(token)))).toBe(token);
      // The issuer saw the blinded message only: the token's bytes are nowhere in what it got.
      expect(batch.blindedMessages.join()).not.toContain(token.slice(10, 60));
    }
  });

  it('refuses signatures that do not verify (another key, swapped order) and counts that do not match', async () => {
    const batch = await blindTokenRequests({ tokenKey: issuer.tokenKey }, challenge, 2);
    const byOther = batch.blindedMessages.map((m) => base64urlEncode(blindSignRaw(next.privateKey, base64urlDecode(m))));
    await expect(batch.finalize(byOther)).rejects.toThrow();
    const right = batch.blindedMessages.map((m) => base64urlEncode(blindSignRaw(issuer.privateKey, base64urlDecode(m))));
    await expect(batch.finalize([right[1]!, right[0]!])).rejects.toThrow();
    await expect(batch.finalize(right.slice(0, 1))).rejects.toThrow(/1 signatures for 2/);
  });

  it('takes 1 to 20 tokens per batch', async () => {
    await expect(blindTokenRequests({ tokenKey: issuer.tokenKey }, challenge, 0)).rejects.toThrow(/1 to 20/);
    await expect(blindTokenRequests({ tokenKey: issuer.tokenKey }, challenge, MAX_TOKEN_BATCH + 1)).rejects.toThrow(/1 to 20/);
  });

  it('renders the PrivateToken authorization and refuses what is not base64url', () => {
    expect(privateTokenAuthorization('abc_-')).toBe('PrivateToken token="abc_-"');
    expect(() => privateTokenAuthorization('a"b')).toThrow();
  });
});
