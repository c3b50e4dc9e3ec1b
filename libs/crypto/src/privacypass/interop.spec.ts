import { webcrypto } from 'node:crypto';
import { Token as CfToken, TokenChallenge as CfTokenChallenge, publicVerif } from '@cloudflare/privacypass-ts';
import { bytesToHex, randomBytes } from '../bytes';
import { generateIssuerKeyPair, exportIssuerPrivateKey, type IssuerKeyPair } from '../issuer-keys';
import { challengeDigest, decodeTokenChallenge, encodeToken, encodeTokenChallenge } from './wire';
import { createTokenRequest, finalizeToken, issueTokenResponse, verifyToken } from './issuance';

const { BLIND_RSA, BlindRSAMode, Client, Issuer, Origin, TokenRequest: CfTokenRequest, getPublicKeyBytes } = publicVerif;

// Interoperability with Cloudflare's implementation, @cloudflare/privacypass-ts 0.8.1, which uses
// WebCrypto RSA-PSS keys: ours are converted through PKCS#8 / SPKI.
describe('interop with @cloudflare/privacypass-ts', () => {
  let issuer: IssuerKeyPair;
  let cfPrivateKey: webcrypto.CryptoKey;
  let cfPublicKey: webcrypto.CryptoKey;
  const params = { name: 'RSA-PSS', hash: 'SHA-384' };

  beforeAll(async () => {
    issuer = await generateIssuerKeyPair();
    cfPrivateKey = await webcrypto.subtle.importKey('pkcs8', exportIssuerPrivateKey(issuer.privateKey), params, true, ['sign']);
    cfPublicKey = await webcrypto.subtle.importKey(
      'spki',
      issuer.publicKey.export({ format: 'der', type: 'spki' }),
      params,
      true,
      ['verify'],
    );
  });

  function cfChallenge(): CfTokenChallenge {
    return new CfTokenChallenge(BLIND_RSA.value, 'issuer.example', randomBytes(32), ['origin.example']);
  }

  test('privacypass-ts publishes the same 342-byte token-key and key id for our key', async () => {
    const theirs = await getPublicKeyBytes(cfPublicKey);
    expect(bytesToHex(theirs)).toBe(bytesToHex(issuer.tokenKey));
    const cfIssuer = new Issuer(BlindRSAMode.PSS, 'issuer.example', cfPrivateKey, cfPublicKey);
    expect(bytesToHex(await cfIssuer.tokenKeyID())).toBe(issuer.keyIdHex);
  });

  test('their TokenChallenge encoding and ours agree', () => {
    const chl = cfChallenge();
    const bytes = chl.serialize();
    expect(bytesToHex(encodeTokenChallenge(decodeTokenChallenge(bytes)))).toBe(bytesToHex(bytes));
  });

  test('their client → our issuer → their finalize → our verifier accepts', async () => {
    for (let i = 0; i < 3; i++) {
      const chl = cfChallenge();
      const client = new Client(BlindRSAMode.PSS);
      const request = await client.createTokenRequest(chl, issuer.tokenKey);
      const response = issueTokenResponse(issuer.privateKey, request.serialize());
      const token = await client.finalize(client.deserializeTokenResponse(response));
      const tokenBytes = token.serialize();
      expect(verifyToken(issuer.tokenKey, tokenBytes, challengeDigest(chl.serialize()))).toBe(true);
      expect(verifyToken(issuer.publicKey, tokenBytes)).toBe(true);
    }
  });

  test('our client → their issuer → our finalize → their origin accepts', async () => {
    const cfIssuer = new Issuer(BlindRSAMode.PSS, 'issuer.example', cfPrivateKey, cfPublicKey);
    const origin = new Origin(BlindRSAMode.PSS, ['origin.example']);
    for (let i = 0; i < 3; i++) {
      const chl = origin.createTokenChallenge('issuer.example', randomBytes(32));
      const { request, state } = createTokenRequest(issuer.tokenKey, chl.serialize());
      const response = await cfIssuer.issue(CfTokenRequest.deserialize(BLIND_RSA, request));
      const token = finalizeToken(state, response.serialize());
      const cfToken = CfToken.deserialize(BLIND_RSA, encodeToken(token));
      expect(await origin.verify(cfToken, cfPublicKey)).toBe(true);
      expect(await cfIssuer.verify(cfToken)).toBe(true);
    }
  });

  test('our client → our issuer → their origin accepts; a flipped authenticator bit is refused by both', async () => {
    const origin = new Origin(BlindRSAMode.PSS);
    const chl = encodeTokenChallenge({ tokenType: 2, issuerName: 'issuer.example', redemptionContext: new Uint8Array(0), originInfo: [] });
    const { request, state } = createTokenRequest(issuer.publicKey, chl);
    const tokenBytes = encodeToken(finalizeToken(state, issueTokenResponse(issuer.privateKey, request)));
    expect(await origin.verify(CfToken.deserialize(BLIND_RSA, tokenBytes), cfPublicKey)).toBe(true);
    tokenBytes[tokenBytes.length - 1] ^= 1;
    expect(await origin.verify(CfToken.deserialize(BLIND_RSA, tokenBytes), cfPublicKey)).toBe(false);
    expect(verifyToken(issuer.tokenKey, tokenBytes)).toBe(false);
  });
});
