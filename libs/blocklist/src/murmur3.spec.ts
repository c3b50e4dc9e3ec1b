import fc from 'fast-check';
import { x64 } from 'murmurhash3js-revisited';
import { codeOf } from '../test/code-of';
import { BlocklistErrorCode } from './errors';
import { murmur3x64_128 } from './murmur3';

const ascii = (text: string) => new TextEncoder().encode(text);

/** h1 and h2 as 16-digit hex numbers, from the 16 output bytes (each half little-endian). */
function halves(out: Uint8Array): [string, string] {
  const view = new DataView(out.buffer, out.byteOffset, 16);
  return [view.getBigUint64(0, true).toString(16).padStart(16, '0'), view.getBigUint64(8, true).toString(16).padStart(16, '0')];
}

describe('murmur3x64_128', () => {
  // google/guava guava-tests/test/com/google/common/hash/Murmur3Hash128Test.java, testKnownValues.
  const guava: Array<[id: string, seed: number, h1: string, h2: string, input: string]> = [
    ['guava-1', 0, '629942693e10f867', '92db0b82baeb5347', 'hell'],
    ['guava-2', 1, 'a78ddff5adae8d10', '128900ef20900135', 'hello'],
    ['guava-3', 2, '8a486b23f422e826', 'f962a2c58947765f', 'hello '],
    ['guava-4', 3, '2ea59f466f6bed8c', 'c610990acc428a17', 'hello w'],
    ['guava-5', 4, '79f6305a386c572c', '46305aed3483b94e', 'hello wo'],
    ['guava-6', 5, 'c2219d213ec1f1b5', 'a1d8e2e0a52785bd', 'hello wor'],
    ['guava-7', 0, 'e34bbc7bbc071b6c', '7a433ca9c49a9347', 'The quick brown fox jumps over the lazy dog'],
    ['guava-8', 0, '658ca970ff85269a', '43fee3eaa68e5c3e', 'The quick brown fox jumps over the lazy cog'],
  ];
  it.each(guava)('%s: matches Guava’s known value (seed %i)', (_id, seed, h1, h2, input) => {
    expect(halves(murmur3x64_128(ascii(input), seed))).toEqual([h1, h2]);
  });

  it('smhasher-verification: passes SMHasher’s VerificationTest with 0x6384BA69', () => {
    const key = new Uint8Array(256);
    const hashes = new Uint8Array(16 * 256);
    for (let i = 0; i < 256; i++) {
      key[i] = i;
      hashes.set(murmur3x64_128(key.subarray(0, i), 256 - i), i * 16);
    }
    const final = murmur3x64_128(hashes, 0);
    expect(new DataView(final.buffer).getUint32(0, true)).toBe(0x6384ba69);
  });

  it('agrees with murmurhash3js-revisited for every length 0–300 (all tail sizes, several blocks) and edge seeds', () => {
    for (let length = 0; length <= 300; length++) {
      for (const seed of [0, 1, 0x7fffffff, 0xffffffff]) {
        // Bytes with the high bit set too, so sign handling of every byte position is exercised.
        const bytes = Uint8Array.from({ length }, (_, i) => (i * 151 + length * 7 + seed) & 0xff);
        expect({ length, seed, hash: halves(murmur3x64_128(bytes, seed)).join('') }).toEqual({ length, seed, hash: x64.hash128(bytes, seed) });
      }
    }
  });

  it('agrees with murmurhash3js-revisited on arbitrary bytes and seeds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 0xffffffff }), (bytes, seed) => {
        expect(halves(murmur3x64_128(bytes, seed)).join('')).toBe(x64.hash128(bytes, seed));
      }),
      { numRuns: 500 },
    );
  });

  it('hashes only the view it is given (subarray offsets respected)', () => {
    const backing = ascii('xxhelloxx');
    expect(murmur3x64_128(backing.subarray(2, 7))).toEqual(murmur3x64_128(ascii('hello')));
  });

  it('rejects a seed that is not an unsigned 32-bit integer, and input that is not bytes', () => {
    for (const seed of [-1, 2 ** 32, 1.5, Number.NaN]) expect(codeOf(() => murmur3x64_128(ascii('a'), seed))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => murmur3x64_128('hello' as unknown as Uint8Array))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
  });
});
