import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { CryptoErrorCode } from './errors';
import { SEALED_BOX_OVERHEAD, generateBoxKeyPair, openSealedBox, sealBox } from './sealed-box';
import { codeOf } from '../test/code-of';


describe('sealed boxes (libsodium crypto_box_seal compatible)', () => {
  beforeAll(async () => {
    await sodium.ready;
  });

  test('libsodium opens what we seal (property)', () => {
    const { publicKey, privateKey } = sodium.crypto_box_keypair();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (msg) => {
        const sealed = sealBox(msg, publicKey);
        expect(sealed.length).toBe(msg.length + SEALED_BOX_OVERHEAD);
        expect(sodium.crypto_box_seal_open(sealed, publicKey, privateKey)).toEqual(msg);
      }),
      { numRuns: 50 },
    );
  });

  test('we open what libsodium seals (property)', () => {
    const { publicKey, secretKey } = generateBoxKeyPair();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (msg) => {
        expect(openSealedBox(sodium.crypto_box_seal(msg, publicKey), publicKey, secretKey)).toEqual(msg);
      }),
      { numRuns: 50 },
    );
  });

  test('our key pairs are libsodium key pairs', () => {
    const { publicKey, secretKey } = generateBoxKeyPair();
    expect(sodium.crypto_scalarmult_base(secretKey)).toEqual(publicKey);
  });

  test('wrong key, tampering and short input fail with typed errors', () => {
    const alice = generateBoxKeyPair();
    const bob = generateBoxKeyPair();
    const sealed = sealBox(Uint8Array.of(1, 2, 3), alice.publicKey);
    expect(codeOf(() => openSealedBox(sealed, bob.publicKey, bob.secretKey))).toBe(CryptoErrorCode.DECRYPTION_FAILED);
    expect(codeOf(() => openSealedBox(sealed, bob.publicKey, alice.secretKey))).toBe(CryptoErrorCode.DECRYPTION_FAILED);
    for (let bit = 0; bit < sealed.length * 8; bit += 7) {
      const bad = Uint8Array.from(sealed);
      bad[bit >> 3] ^= 1 << (bit & 7);
      expect([CryptoErrorCode.DECRYPTION_FAILED, CryptoErrorCode.INVALID_KEY]).toContain(
        codeOf(() => openSealedBox(bad, alice.publicKey, alice.secretKey)),
      );
    }
    expect(codeOf(() => openSealedBox(sealed.subarray(0, 47), alice.publicKey, alice.secretKey))).toBe(
      CryptoErrorCode.INVALID_LENGTH,
    );
    expect(codeOf(() => sealBox(Uint8Array.of(1), new Uint8Array(31)))).toBe(CryptoErrorCode.INVALID_LENGTH);
    expect(codeOf(() => sealBox(Uint8Array.of(1), new Uint8Array(32)))).toBe(CryptoErrorCode.INVALID_KEY);
  });

  test('random byte strings raise only CryptoErrors (property)', () => {
    const { publicKey, secretKey } = generateBoxKeyPair();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => codeOf(() => openSealedBox(bytes, publicKey, secretKey)) !== 'not a CryptoError'),
      { numRuns: 200 },
    );
  });
});
