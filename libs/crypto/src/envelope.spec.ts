import fc from 'fast-check';
import { bytesToHex, randomBytes } from './bytes';
import {
  ENVELOPE_OVERHEAD,
  decryptEnvelope,
  decryptIssuerPrivateKey,
  encryptEnvelope,
  encryptIssuerPrivateKey,
  parseKeyEncryptionKey,
} from './envelope';
import { CryptoErrorCode } from './errors';
import { generateIssuerKeyPair, issuerKeyPairFromPrivateKey, type IssuerKeyPair } from './issuer-keys';
import { codeOf } from '../test/code-of';


describe('parseKeyEncryptionKey', () => {
  const key = randomBytes(32);

  test('accepts 64 hex characters and base64 / base64url, padded or not, with surrounding whitespace', () => {
    const forms = [
      bytesToHex(key),
      bytesToHex(key).toUpperCase(),
      Buffer.from(key).toString('base64'),
      Buffer.from(key).toString('base64').replace(/=+$/, ''),
      Buffer.from(key).toString('base64url'),
      ` ${Buffer.from(key).toString('base64')}\n`,
    ];
    for (const form of forms) expect(parseKeyEncryptionKey(form)).toEqual(key);
  });

  test.each([
    ['31 bytes of hex', bytesToHex(randomBytes(31)), CryptoErrorCode.INVALID_LENGTH],
    ['33 bytes of hex', bytesToHex(randomBytes(33)), CryptoErrorCode.INVALID_LENGTH],
    ['16 bytes of base64', Buffer.from(randomBytes(16)).toString('base64'), CryptoErrorCode.INVALID_LENGTH],
    ['48 bytes of base64', Buffer.from(randomBytes(48)).toString('base64'), CryptoErrorCode.INVALID_LENGTH],
    ['empty', '', CryptoErrorCode.INVALID_LENGTH],
    ['not an encoding', 'correct horse battery staple!!', CryptoErrorCode.INVALID_ENCODING],
    ['mixed alphabets', 'ab+_' + 'A'.repeat(40), CryptoErrorCode.INVALID_ENCODING],
  ])('rejects %s', (_name, text, code) => {
    expect(codeOf(() => parseKeyEncryptionKey(text))).toBe(code);
  });
});

describe('envelope encryption', () => {
  const kek = randomBytes(32);

  test('round-trips any plaintext with any associated data (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.string(), (plaintext, ad) => {
        const blob = encryptEnvelope(plaintext, kek, ad);
        expect(blob.length).toBe(plaintext.length + ENVELOPE_OVERHEAD);
        expect(decryptEnvelope(blob, kek, ad)).toEqual(plaintext);
      }),
      { numRuns: 50 },
    );
  });

  test('is self-describing: magic PXEK, version 1, AES-256-GCM, and randomized', () => {
    const a = encryptEnvelope(Uint8Array.of(1), kek, 'id');
    const b = encryptEnvelope(Uint8Array.of(1), kek, 'id');
    expect(Buffer.from(a.subarray(0, 4)).toString('ascii')).toBe('PXEK');
    expect([a[4], a[5]]).toEqual([1, 1]);
    expect(a).not.toEqual(b);
  });

  test('detects tampering of any bit (property)', () => {
    const blob = encryptEnvelope(randomBytes(100), kek, 'key-1');
    fc.assert(
      fc.property(fc.nat({ max: blob.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(blob);
        bad[bit >> 3] ^= 1 << (bit & 7);
        const code = codeOf(() => decryptEnvelope(bad, kek, 'key-1'));
        return [
          CryptoErrorCode.DECRYPTION_FAILED,
          CryptoErrorCode.MALFORMED,
          CryptoErrorCode.UNSUPPORTED_VERSION,
          CryptoErrorCode.WRONG_KEY_ENCRYPTION_KEY,
        ].includes(code as CryptoErrorCode);
      }),
      { numRuns: 200 },
    );
  });

  test('wrong associated data fails with DECRYPTION_FAILED; wrong KEK with WRONG_KEY_ENCRYPTION_KEY', () => {
    const blob = encryptEnvelope(Uint8Array.of(1, 2, 3), kek, 'key-1');
    expect(codeOf(() => decryptEnvelope(blob, kek, 'key-2'))).toBe(CryptoErrorCode.DECRYPTION_FAILED);
    expect(codeOf(() => decryptEnvelope(blob, kek, new Uint8Array(0)))).toBe(CryptoErrorCode.DECRYPTION_FAILED);
    expect(codeOf(() => decryptEnvelope(blob, randomBytes(32), 'key-1'))).toBe(CryptoErrorCode.WRONG_KEY_ENCRYPTION_KEY);
    expect(codeOf(() => decryptEnvelope(blob, randomBytes(16), 'key-1'))).toBe(CryptoErrorCode.INVALID_LENGTH);
  });

  test('truncated, foreign and future-version blobs get typed errors', () => {
    const blob = encryptEnvelope(Uint8Array.of(1), kek, 'k');
    expect(codeOf(() => decryptEnvelope(blob.subarray(0, 20), kek, 'k'))).toBe(CryptoErrorCode.MALFORMED);
    expect(codeOf(() => decryptEnvelope(Uint8Array.of(1, 2, 3), kek, 'k'))).toBe(CryptoErrorCode.MALFORMED);
    const v2 = Uint8Array.from(blob);
    v2[4] = 2;
    expect(codeOf(() => decryptEnvelope(v2, kek, 'k'))).toBe(CryptoErrorCode.UNSUPPORTED_VERSION);
  });

  test('random byte strings raise only CryptoErrors (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const withMagic = Uint8Array.from([0x50, 0x58, 0x45, 0x4b, 1, 1, ...bytes]);
        return [bytes, withMagic].every((b) => codeOf(() => decryptEnvelope(b, kek, 'k')) !== 'not a CryptoError');
      }),
      { numRuns: 100 },
    );
  });
});

describe('issuer private keys at rest', () => {
  let key: IssuerKeyPair;
  const kek = randomBytes(32);
  beforeAll(async () => {
    key = await generateIssuerKeyPair();
  });

  test('seal and open under the key id give back the same key', () => {
    const blob = encryptIssuerPrivateKey(key.privateKey, kek, key.keyIdHex);
    const opened = decryptIssuerPrivateKey(blob, kek, key.keyIdHex);
    expect(issuerKeyPairFromPrivateKey(opened).keyIdHex).toBe(key.keyIdHex);
    expect(opened.export({ format: 'der', type: 'pkcs8' })).toEqual(key.privateKey.export({ format: 'der', type: 'pkcs8' }));
  });

  test('a blob moved to another key id, or opened with another KEK, is refused', () => {
    const blob = encryptIssuerPrivateKey(key.privateKey, kek, key.keyId);
    expect(codeOf(() => decryptIssuerPrivateKey(blob, kek, randomBytes(32)))).toBe(CryptoErrorCode.DECRYPTION_FAILED);
    expect(codeOf(() => decryptIssuerPrivateKey(blob, parseKeyEncryptionKey(bytesToHex(randomBytes(32))), key.keyId))).toBe(
      CryptoErrorCode.WRONG_KEY_ENCRYPTION_KEY,
    );
  });

  test('an envelope of something that is not an issuer key opens to INVALID_KEY', () => {
    const blob = encryptEnvelope(randomBytes(64), kek, 'x');
    expect(codeOf(() => decryptIssuerPrivateKey(blob, kek, 'x'))).toBe(CryptoErrorCode.INVALID_KEY);
  });
});
