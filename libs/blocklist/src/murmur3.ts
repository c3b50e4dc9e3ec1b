// MurmurHash3_x64_128 (Austin Appleby, public domain; SMHasher's MurmurHash3.cpp), on 32-bit
// halves: every 64-bit value is a (hi, lo) pair of uint32s, so the hot path allocates nothing and
// needs no BigInt. Written from the algorithm's description; the specs check it against Guava's
// published outputs, SMHasher's verification value and an independent npm implementation.
import { BlocklistError, BlocklistErrorCode, quote } from './errors';

// Constants of MurmurHash3_x64_128 as high word, low word, and the low word's 16-bit halves.
const C1_HI = 0x87c37b91;
const C1_LO = 0x114253d5;
const C2_HI = 0x4cf5ad43;
const C2_LO = 0x2745937f;
const F1_HI = 0xff51afd7;
const F1_LO = 0xed558ccd;
const F2_HI = 0xc4ceb9fe;
const F2_LO = 0x1a85ec53;

/** Little-endian uint32 at `i` as an int32, reading zero at and past `end` (the input's tail). */
function word(b: Uint8Array, i: number, end: number): number {
  if (i + 4 <= end) return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
  let w = 0;
  for (let j = end - 1; j >= i; j--) w = (w << 8) | b[j];
  return w;
}

// The 64-bit steps are written out inline on (hi, lo) int32 pairs: as helper functions they were
// not all inlined by V8 and the calls cost more than the arithmetic. Each multiplication by a
// constant (CH:CL) is, for x = (xh:xl):
//   low word   = xl·CL mod 2³², from 16-bit limbs (Hacker's Delight's mulhu, every partial sum
//                below 2³², no division), also giving the high word of xl·CL;
//   high word  = that + xh·CL + xl·CH mod 2³² (Math.imul's wrapping is 64-bit arithmetic's).
// `| 0` after a sum of exact doubles below 2⁵³ reduces it mod 2³².

/**
 * Hashes `bytes[0..length)` into `out` as four uint32s: h1 high, h1 low, h2 high, h2 low. The
 * allocation-free form the filter uses; {@link murmur3x64_128} is the byte-oriented one.
 */
export function murmur3Into(bytes: Uint8Array, length: number, seed: number, out: Uint32Array): void {
  let h1h = 0;
  let h1l = seed | 0;
  let h2h = 0;
  let h2l = seed | 0;
  let kh: number, kl: number, a0: number, a1: number, p: number, t: number, u: number, s: number;

  // One pass per 16-byte block; the last, partial block (the reference's tail) is zero-padded and
  // takes the same k1/k2 mixing without the h rotations: mixing a zero word gives zero, so a
  // tail of 8 bytes or fewer leaves h2 as the reference leaves it.
  for (let i = 0; i < length; i += 16) {
    const full = i + 16 <= length;

    // k1 = bytes i..i+7; k1 *= C1; k1 = rotl(k1, 31); k1 *= C2; h1 ^= k1
    kl = word(bytes, i, length);
    kh = word(bytes, i + 4, length);
    a0 = kl & 0xffff; a1 = kl >>> 16; p = a0 * (C1_LO & 0xffff); t = a1 * (C1_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (C1_LO >>> 16);
    kh = (a1 * (C1_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(kh, C1_LO) + Math.imul(kl, C1_HI)) | 0;
    kl = (u << 16) | (p & 0xffff);
    s = (kh << 31) | (kl >>> 1); kl = (kl << 31) | (kh >>> 1); kh = s;
    a0 = kl & 0xffff; a1 = kl >>> 16; p = a0 * (C2_LO & 0xffff); t = a1 * (C2_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (C2_LO >>> 16);
    kh = (a1 * (C2_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(kh, C2_LO) + Math.imul(kl, C2_HI)) | 0;
    kl = (u << 16) | (p & 0xffff);
    h1h ^= kh;
    h1l ^= kl;

    if (full) {
      // h1 = rotl(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729
      s = (h1h << 27) | (h1l >>> 5); h1l = (h1l << 27) | (h1h >>> 5); h1h = s;
      s = (h1l >>> 0) + (h2l >>> 0); h1h = (h1h + h2h + (s > 0xffffffff ? 1 : 0)) | 0; h1l = s | 0;
      s = ((h1l << 2) >>> 0) + (h1l >>> 0); h1h = (((h1h << 2) | (h1l >>> 30)) + h1h + (s > 0xffffffff ? 1 : 0)) | 0; h1l = s | 0;
      s = (h1l >>> 0) + 0x52dce729; h1h = (h1h + (s > 0xffffffff ? 1 : 0)) | 0; h1l = s | 0;
    }

    // k2 = bytes i+8..i+15; k2 *= C2; k2 = rotl(k2, 33); k2 *= C1; h2 ^= k2
    kl = word(bytes, i + 8, length);
    kh = word(bytes, i + 12, length);
    a0 = kl & 0xffff; a1 = kl >>> 16; p = a0 * (C2_LO & 0xffff); t = a1 * (C2_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (C2_LO >>> 16);
    kh = (a1 * (C2_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(kh, C2_LO) + Math.imul(kl, C2_HI)) | 0;
    kl = (u << 16) | (p & 0xffff);
    s = (kl << 1) | (kh >>> 31); kl = (kh << 1) | (kl >>> 31); kh = s;
    a0 = kl & 0xffff; a1 = kl >>> 16; p = a0 * (C1_LO & 0xffff); t = a1 * (C1_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (C1_LO >>> 16);
    kh = (a1 * (C1_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(kh, C1_LO) + Math.imul(kl, C1_HI)) | 0;
    kl = (u << 16) | (p & 0xffff);
    h2h ^= kh;
    h2l ^= kl;

    if (full) {
      // h2 = rotl(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5
      s = (h2h << 31) | (h2l >>> 1); h2l = (h2l << 31) | (h2h >>> 1); h2h = s;
      s = (h2l >>> 0) + (h1l >>> 0); h2h = (h2h + h1h + (s > 0xffffffff ? 1 : 0)) | 0; h2l = s | 0;
      s = ((h2l << 2) >>> 0) + (h2l >>> 0); h2h = (((h2h << 2) | (h2l >>> 30)) + h2h + (s > 0xffffffff ? 1 : 0)) | 0; h2l = s | 0;
      s = (h2l >>> 0) + 0x38495ab5; h2h = (h2h + (s > 0xffffffff ? 1 : 0)) | 0; h2l = s | 0;
    }
  }

  // h1 ^= len; h2 ^= len; h1 += h2; h2 += h1 (lengths here are far below 2³²)
  h1l ^= length;
  h2l ^= length;
  s = (h1l >>> 0) + (h2l >>> 0); h1h = (h1h + h2h + (s > 0xffffffff ? 1 : 0)) | 0; h1l = s | 0;
  s = (h2l >>> 0) + (h1l >>> 0); h2h = (h2h + h1h + (s > 0xffffffff ? 1 : 0)) | 0; h2l = s | 0;

  // h1 = fmix64(h1): k ^= k >>> 33; k *= F1; k ^= k >>> 33; k *= F2; k ^= k >>> 33
  h1l ^= h1h >>> 1;
  a0 = h1l & 0xffff; a1 = h1l >>> 16; p = a0 * (F1_LO & 0xffff); t = a1 * (F1_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (F1_LO >>> 16);
  h1h = (a1 * (F1_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(h1h, F1_LO) + Math.imul(h1l, F1_HI)) | 0;
  h1l = (u << 16) | (p & 0xffff);
  h1l ^= h1h >>> 1;
  a0 = h1l & 0xffff; a1 = h1l >>> 16; p = a0 * (F2_LO & 0xffff); t = a1 * (F2_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (F2_LO >>> 16);
  h1h = (a1 * (F2_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(h1h, F2_LO) + Math.imul(h1l, F2_HI)) | 0;
  h1l = (u << 16) | (p & 0xffff);
  h1l ^= h1h >>> 1;

  // h2 = fmix64(h2)
  h2l ^= h2h >>> 1;
  a0 = h2l & 0xffff; a1 = h2l >>> 16; p = a0 * (F1_LO & 0xffff); t = a1 * (F1_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (F1_LO >>> 16);
  h2h = (a1 * (F1_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(h2h, F1_LO) + Math.imul(h2l, F1_HI)) | 0;
  h2l = (u << 16) | (p & 0xffff);
  h2l ^= h2h >>> 1;
  a0 = h2l & 0xffff; a1 = h2l >>> 16; p = a0 * (F2_LO & 0xffff); t = a1 * (F2_LO & 0xffff) + (p >>> 16); u = (t & 0xffff) + a0 * (F2_LO >>> 16);
  h2h = (a1 * (F2_LO >>> 16) + (t >>> 16) + (u >>> 16) + Math.imul(h2h, F2_LO) + Math.imul(h2l, F2_HI)) | 0;
  h2l = (u << 16) | (p & 0xffff);
  h2l ^= h2h >>> 1;

  // h1 += h2; h2 += h1
  s = (h1l >>> 0) + (h2l >>> 0); h1h = (h1h + h2h + (s > 0xffffffff ? 1 : 0)) | 0; h1l = s | 0;
  s = (h2l >>> 0) + (h1l >>> 0); h2h = (h2h + h1h + (s > 0xffffffff ? 1 : 0)) | 0; h2l = s | 0;

  out[0] = h1h;
  out[1] = h1l;
  out[2] = h2h;
  out[3] = h2l;
}

/**
 * MurmurHash3_x64_128 of `bytes` with a 32-bit `seed`, as the reference implementation writes it
 * out on a little-endian machine: h1 as 8 little-endian bytes, then h2. Not a cryptographic hash.
 *
 * @param bytes - the input
 * @param seed - an unsigned 32-bit seed (the published filter uses 0)
 * @returns 16 bytes: h1 little-endian, h2 little-endian
 * @throws {BlocklistError} `INVALID_ARGUMENT` when `bytes` is not a Uint8Array or `seed` is not a uint32
 * @example
 * // Guava's Murmur3Hash128Test: "hell" → h1 0x629942693e10f867, h2 0x92db0b82baeb5347
 * Buffer.from(murmur3x64_128(new TextEncoder().encode('hell'))).toString('hex');
 * // '67f8103e69429962' + '4753ebba820bdb92'
 */
export function murmur3x64_128(bytes: Uint8Array, seed = 0): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, 'bytes must be a Uint8Array');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `seed must be an unsigned 32-bit integer, got ${quote(seed)}`);
  }
  const h = new Uint32Array(4);
  murmur3Into(bytes, bytes.length, seed, h);
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setUint32(0, h[1], true);
  view.setUint32(4, h[0], true);
  view.setUint32(8, h[3], true);
  view.setUint32(12, h[2], true);
  return out;
}
