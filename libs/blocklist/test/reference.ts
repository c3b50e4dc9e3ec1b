// An independent reference of the published lookup, written from the text of API.md ("Published
// blocklist") alone, slow but plainly correct: BigInt arithmetic, the npm murmurhash3js-revisited
// (not this library's MurmurHash3), one bit at a time. The specs compare the library and the
// golden file against it. Expects normalized names (lowercase ASCII, no trailing dot).
import { x64 } from 'murmurhash3js-revisited';

const MASK_63 = 0x7fff_ffff_ffff_ffffn;
const MASK_64 = 0xffff_ffff_ffff_ffffn;

/** h1 and h2 of MurmurHash3 x64 128 (seed 0) of the name's UTF-8 bytes. */
export function referenceHalves(name: string): [bigint, bigint] {
  // The package prints h1 and h2 as numbers (most significant digit first), which is the value
  // "read little-endian from the 16 output bytes" of the reference implementation.
  const hex = x64.hash128(new TextEncoder().encode(name), 0);
  return [BigInt(`0x${hex.slice(0, 16)}`), BigInt(`0x${hex.slice(16)}`)];
}

/** "start with combined = h1 and, k times: the bit (combined AND 0x7FFFFFFFFFFFFFFF) mod m …, then combined = combined + h2 (unsigned 64-bit, wrapping)". */
export function referenceBits(name: string, m: number, k: number): number[] {
  const [h1, h2] = referenceHalves(name);
  const bits: number[] = [];
  let combined = h1;
  for (let i = 0; i < k; i++) {
    bits.push(Number((combined & MASK_63) % BigInt(m)));
    combined = (combined + h2) & MASK_64;
  }
  return bits;
}

/** "bit b stored in byte ⌊b/8⌋ at position b mod 8 (least significant first), padded with zero bits to a whole byte". */
export function referenceFilter(names: readonly string[], m: number, k: number): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(m / 8));
  for (const name of names) {
    for (const b of referenceBits(name, m, k)) bytes[Math.floor(b / 8)] |= 1 << b % 8;
  }
  return bytes;
}

/** "The name is listed only if all k bits are set." */
export function referenceContains(bytes: Uint8Array, m: number, k: number, name: string): boolean {
  return referenceBits(name, m, k).every((b) => (bytes[Math.floor(b / 8)] >> b % 8) & 1);
}
