import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CryptoError, CryptoErrorCode } from '../errors';
import { hex, hexInt, loadVectors, rsaPrivateKeyFromNumbers } from '../../test/vectors';
import { i2osp, modInverse } from './bigint';
import { rsaPublicInfo } from './rsa-key';
import {
  BlindRsa,
  RSABSSA_SHA384_VARIANTS,
  blindWithRandomness,
  prepareWithPrefix,
  type RsaBssaVariantName,
} from './rsabssa';

interface Rfc9474Vector {
  name: RsaBssaVariantName;
  p: string;
  q: string;
  n: string;
  e: string;
  d: string;
  msg: string;
  msg_prefix: string;
  input_msg: string;
  sLen: string;
  salt: string;
  is_randomized: string;
  inv: string;
  blinded_msg: string;
  blind_sig: string;
  sig: string;
}

// RFC 9474 Appendix A, as published by cloudflare/blindrsa-ts (see test/vectors/README.md).
const vectors = loadVectors<Rfc9474Vector[]>('rfc9474-test-vectors.json');
const cases = vectors.map((v) => [v.name, v] as const);

describe('RSABSSA-SHA384 (RFC 9474 Appendix A vectors)', () => {
  it('has a vector for each of the four variants', () => {
    expect(vectors.map((v) => v.name).sort()).toEqual(Object.keys(RSABSSA_SHA384_VARIANTS).sort());
  });

  describe.each(cases)('%s', (name, v) => {
    const suite = BlindRsa.variant(name);
    const sk = rsaPrivateKeyFromNumbers(hexInt(v.p), hexInt(v.q), hexInt(v.d), hexInt(v.e));
    const { publicKey: pk, n } = rsaPublicInfo(sk);

    test(`${name}: the key numbers match the vector's n`, () => {
      expect(n).toBe(hexInt(v.n));
      expect(suite.params.saltLength).toBe(Number(hexInt(v.sLen)));
      expect(suite.params.randomized).toBe(hexInt(v.is_randomized) === 1n);
    });

    test(`${name}: prepare with the vector's prefix gives input_msg`, () => {
      expect(prepareWithPrefix(name, hex(v.msg), hex(v.msg_prefix))).toEqual(hex(v.input_msg));
    });

    test(`${name}: blind with the vector's salt and r = inv^-1 gives blinded_msg and inv`, () => {
      const r = modInverse(hexInt(v.inv), n);
      const { blindedMsg, inv } = blindWithRandomness(name, pk, hex(v.input_msg), hex(v.salt), r);
      expect(Buffer.from(blindedMsg).toString('hex')).toBe(v.blinded_msg);
      expect(inv).toEqual(i2osp(hexInt(v.inv), blindedMsg.length));
    });

    test(`${name}: blindSign with sk gives blind_sig`, () => {
      expect(Buffer.from(suite.blindSign(sk, hex(v.blinded_msg))).toString('hex')).toBe(v.blind_sig);
    });

    test(`${name}: finalize gives sig`, () => {
      const inv = i2osp(hexInt(v.inv), hex(v.blind_sig).length);
      const sig = suite.finalize(pk, hex(v.input_msg), hex(v.blind_sig), inv);
      expect(Buffer.from(sig).toString('hex')).toBe(v.sig);
    });

    test(`${name}: verify accepts sig and rejects it for another message or variant salt`, () => {
      expect(suite.verify(pk, hex(v.input_msg), hex(v.sig))).toBe(true);
      expect(suite.verify(pk, hex(v.msg + '00'), hex(v.sig))).toBe(false);
      const otherSalt = name.includes('PSSZERO') ? 'RSABSSA-SHA384-PSS-Deterministic' : 'RSABSSA-SHA384-PSSZERO-Deterministic';
      expect(BlindRsa.variant(otherSalt).verify(pk, hex(v.input_msg), hex(v.sig))).toBe(false);
    });

    test(`${name}: a fresh blind of the same input signs and finalizes to a valid signature`, () => {
      const input = suite.prepare(hex(v.msg));
      const { blindedMsg, inv } = suite.blind(pk, input);
      const sig = suite.finalize(pk, input, suite.blindSign(sk, blindedMsg), inv);
      expect(suite.verify(pk, input, sig)).toBe(true);
    });
  });
});

function expectCode(fn: () => unknown, code: CryptoErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CryptoError);
  expect((caught as CryptoError).code).toBe(code);
}

describe('RSABSSA-SHA384 with 2048-bit keys', () => {
  let sk: KeyObject;
  let pk: KeyObject;
  let otherSk: KeyObject;
  beforeAll(() => {
    ({ privateKey: sk, publicKey: pk } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }));
    ({ privateKey: otherSk } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 }));
  });

  const variantNames = Object.keys(RSABSSA_SHA384_VARIANTS) as RsaBssaVariantName[];

  test.each(variantNames)('%s: any message blinded, signed and finalized verifies', (name) => {
    const suite = BlindRsa.variant(name);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (msg) => {
        const input = suite.prepare(msg);
        const { blindedMsg, inv } = suite.blind(pk, input);
        const sig = suite.finalize(pk, input, suite.blindSign(sk, blindedMsg), inv);
        return suite.verify(pk, input, sig);
      }),
      { numRuns: 20 },
    );
  });

  test.each(variantNames)('%s: flipping any bit of the signature fails verification', (name) => {
    const suite = BlindRsa.variant(name);
    const input = suite.prepare(Uint8Array.of(1, 2, 3));
    const { blindedMsg, inv } = suite.blind(pk, input);
    const sig = suite.finalize(pk, input, suite.blindSign(sk, blindedMsg), inv);
    fc.assert(
      fc.property(fc.nat({ max: sig.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(sig);
        bad[bit >> 3] ^= 1 << (bit & 7);
        return !suite.verify(pk, input, bad);
      }),
      { numRuns: 50 },
    );
  });

  test('randomized variants give different prepared inputs and blinded messages each time', () => {
    const suite = BlindRsa.variant('RSABSSA-SHA384-PSS-Randomized');
    const msg = Uint8Array.of(7);
    const a = suite.prepare(msg);
    const b = suite.prepare(msg);
    expect(a).not.toEqual(b);
    expect(suite.blind(pk, a).blindedMsg).not.toEqual(suite.blind(pk, a).blindedMsg);
  });

  test('blindSign rejects blinded_msg >= n with MESSAGE_OUT_OF_RANGE', () => {
    const { modulus, n } = rsaPublicInfo(pk);
    const suite = BlindRsa.variant('RSABSSA-SHA384-PSS-Deterministic');
    expectCode(() => suite.blindSign(sk, modulus), CryptoErrorCode.MESSAGE_OUT_OF_RANGE);
    expectCode(() => suite.blindSign(sk, i2osp(n + 1n, 256)), CryptoErrorCode.MESSAGE_OUT_OF_RANGE);
    expectCode(() => suite.blindSign(sk, new Uint8Array(256).fill(0xff)), CryptoErrorCode.MESSAGE_OUT_OF_RANGE);
    expect(suite.blindSign(sk, i2osp(n - 1n, 256))).toHaveLength(256);
  });

  test('blindSign rejects wrong lengths with INVALID_LENGTH and non-RSA keys with INVALID_KEY', () => {
    const suite = BlindRsa.variant('RSABSSA-SHA384-PSS-Deterministic');
    expectCode(() => suite.blindSign(sk, new Uint8Array(255)), CryptoErrorCode.INVALID_LENGTH);
    expectCode(() => suite.blindSign(sk, new Uint8Array(257)), CryptoErrorCode.INVALID_LENGTH);
    expectCode(() => suite.blindSign(pk, new Uint8Array(256)), CryptoErrorCode.INVALID_KEY);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expectCode(() => suite.blindSign(ec, new Uint8Array(256)), CryptoErrorCode.INVALID_KEY);
  });

  test('finalize with a signature from another key throws INVALID_SIGNATURE', () => {
    const suite = BlindRsa.variant('RSABSSA-SHA384-PSS-Randomized');
    const input = suite.prepare(Uint8Array.of(1));
    const { blindedMsg, inv } = suite.blind(pk, input);
    const { modulus } = rsaPublicInfo(otherSk);
    const foreignMsg = Uint8Array.from(blindedMsg);
    if (Buffer.compare(foreignMsg, modulus) >= 0) foreignMsg[0] = 0;
    expectCode(() => suite.finalize(pk, input, suite.blindSign(otherSk, foreignMsg), inv), CryptoErrorCode.INVALID_SIGNATURE);
  });

  test('random byte strings given to blindSign and finalize raise only CryptoErrors', () => {
    const suite = BlindRsa.variant('RSABSSA-SHA384-PSS-Deterministic');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        for (const op of [() => suite.blindSign(sk, a), () => suite.finalize(pk, Uint8Array.of(1), a, b)]) {
          try {
            op();
          } catch (err) {
            if (!(err instanceof CryptoError)) return false;
          }
        }
        return true;
      }),
      { numRuns: 50 },
    );
  });

  test('a 2048-bit rsa-pss KeyObject works the same as a plain rsa one', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const suite = BlindRsa.variant('RSABSSA-SHA384-PSS-Deterministic');
    const input = suite.prepare(Uint8Array.of(9));
    const { blindedMsg, inv } = suite.blind(pss.publicKey, input);
    const sig = suite.finalize(pss.publicKey, input, suite.blindSign(pss.privateKey, blindedMsg), inv);
    expect(suite.verify(pss.publicKey, input, sig)).toBe(true);
  });
});
