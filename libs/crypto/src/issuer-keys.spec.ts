import { generateKeyPairSync } from 'node:crypto';
import { CryptoErrorCode } from './errors';
import {
  exportIssuerPrivateKey,
  exportIssuerPublicKey,
  generateIssuerKeyPair,
  importIssuerPrivateKey,
  importIssuerPublicKey,
  issuerKeyId,
  type IssuerKeyPair,
} from './issuer-keys';
import { tokenKeyIdFromBytes } from './privacypass/spki';
import { codeOf } from '../test/code-of';


describe('issuer keys', () => {
  let key: IssuerKeyPair;
  beforeAll(async () => {
    key = await generateIssuerKeyPair();
  });

  test('are 2048-bit RSA with e = 65537, with a 342-byte token-key and its SHA-256 as key id', () => {
    expect(key.privateKey.asymmetricKeyType).toBe('rsa');
    expect(key.privateKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(key.tokenKey).toHaveLength(342);
    expect(key.keyId).toEqual(tokenKeyIdFromBytes(key.tokenKey));
    expect(key.keyIdHex).toMatch(/^[0-9a-f]{64}$/);
    expect(issuerKeyId(key.publicKey)).toEqual(key.keyId);
  });

  test('PKCS#8 and SPKI export/import round-trip to the same key id', () => {
    const sk = importIssuerPrivateKey(exportIssuerPrivateKey(key.privateKey));
    const pk = importIssuerPublicKey(exportIssuerPublicKey(key.publicKey));
    expect(issuerKeyId(sk)).toEqual(key.keyId);
    expect(issuerKeyId(pk)).toEqual(key.keyId);
    expect(issuerKeyId(importIssuerPublicKey(key.tokenKey))).toEqual(key.keyId);
  });

  test('import refuses garbage, other sizes, other exponents and other algorithms with INVALID_KEY', () => {
    expect(codeOf(() => importIssuerPrivateKey(Uint8Array.of(1, 2, 3)))).toBe(CryptoErrorCode.INVALID_KEY);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(codeOf(() => importIssuerPrivateKey(small.privateKey.export({ format: 'der', type: 'pkcs8' })))).toBe(
      CryptoErrorCode.INVALID_KEY,
    );
    const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    expect(codeOf(() => importIssuerPublicKey(e3.publicKey.export({ format: 'der', type: 'spki' })))).toBe(
      CryptoErrorCode.INVALID_KEY,
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(codeOf(() => importIssuerPrivateKey(ec.privateKey.export({ format: 'der', type: 'pkcs8' })))).toBe(
      CryptoErrorCode.INVALID_KEY,
    );
    expect(codeOf(() => importIssuerPublicKey(ec.publicKey.export({ format: 'der', type: 'spki' })))).toBe(
      CryptoErrorCode.INVALID_KEY,
    );
  });
});
