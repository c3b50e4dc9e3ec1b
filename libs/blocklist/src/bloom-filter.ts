// The published filter (API.md "Published blocklist", format bloom-murmur3-km-v1): m bits, bit b in
// byte ⌊b/8⌋ at position b mod 8 (least significant first), zero padding. A name's k bits come
// from MurmurHash3_x64_128 (seed 0) of its UTF-8 bytes by Kirsch–Mitzenmacher double hashing as
// Guava's BloomFilterStrategies.MURMUR128_MITZ_64 does it:
//   combined = h1; k times: bit (combined AND 0x7FFF_FFFF_FFFF_FFFF) mod m; combined += h2 (mod 2⁶⁴).
import { isNormalizedDomain, nameAndParents, normalizeDomain } from './domain-name';
import { BlocklistError, BlocklistErrorCode, quote } from './errors';
import { murmur3Into } from './murmur3';

/** The `format` field of the manifest for filters this library builds. */
export const BLOCKLIST_FORMAT = 'bloom-murmur3-km-v1';

/**
 * The largest filter, in bits (512 MiB). Far above any blocklist (StevenBlack at p = 1e-6 is
 * ≈ 2.55 million bits); it keeps every bit index a uint32 and the modular arithmetic exact.
 */
export const MAX_FILTER_BITS = 2 ** 32;

/** A Bloom filter in the published layout. */
export interface BloomFilter {
  /** m, the number of bits. */
  readonly bits: number;
  /** k, the number of bits per name. */
  readonly hashes: number;
  /** ⌈m/8⌉ bytes: bit b in byte ⌊b/8⌋ at position b mod 8, least significant first. */
  readonly bytes: Uint8Array;
}

/** The filter's size for `domains` names at false-positive rate `falsePositiveRate`. */
export interface BloomParameters {
  /** m = ⌈−n·ln p / (ln 2)²⌉ */
  readonly bits: number;
  /** k = round(m/n · ln 2), at least 1 */
  readonly hashes: number;
}

/**
 * Sizes a filter: `m = ⌈−n·ln p / (ln 2)²⌉` bits and `k = round(m/n · ln 2)` hashes (at least 1),
 * the optimum for n names at false-positive rate p.
 *
 * @param domains - n, a positive integer
 * @param falsePositiveRate - p, in (0, 1)
 * @returns `{ bits: m, hashes: k }`
 * @throws {BlocklistError} `INVALID_ARGUMENT` for n not a positive integer or p outside (0, 1);
 *   `TOO_LARGE` when m would exceed {@link MAX_FILTER_BITS}
 * @example
 * bloomParameters(88_763, 1e-6); // { bits: 2_552_396, hashes: 20 } — 28.76 bits per name
 */
export function bloomParameters(domains: number, falsePositiveRate: number): BloomParameters {
  if (!Number.isSafeInteger(domains) || domains < 1) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `the domain count must be a positive integer, got ${quote(domains)}`);
  }
  if (typeof falsePositiveRate !== 'number' || !(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `the false-positive rate must be in (0, 1), got ${quote(falsePositiveRate)}`);
  }
  const bits = Math.ceil((-domains * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
  if (bits > MAX_FILTER_BITS) {
    throw new BlocklistError(BlocklistErrorCode.TOO_LARGE, `${domains} names at p = ${falsePositiveRate} need ${bits} bits, over ${MAX_FILTER_BITS}`);
  }
  return { bits, hashes: Math.max(1, Math.round((bits / domains) * Math.LN2)) };
}

// Scratch space for hashing a name: normalized names are ASCII (UTF-8 = the char codes) and at
// most 253 characters; longer input (only lookups of unnormalized names) gets its own buffer.
const scratch = new Uint8Array(256);
const hash = new Uint32Array(4);
const bitsOf = new Uint32Array(2048);
const utf8 = new TextEncoder();

/** MurmurHash3_x64_128 (seed 0) of `name`'s UTF-8 bytes into `hash`. */
function hashName(name: string): void {
  const n = name.length;
  if (n <= scratch.length) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(i);
      if (c > 0x7f) {
        ascii = false;
        break;
      }
      scratch[i] = c;
    }
    if (ascii) {
      murmur3Into(scratch, n, 0, hash);
      return;
    }
  }
  const bytes = utf8.encode(name);
  murmur3Into(bytes, bytes.length, 0, hash);
}

/**
 * `(hi·2³² + lo) mod m` for hi < 2³¹, lo < 2³², 0 < m ≤ 2³²: the 63-bit value is folded in 16-bit
 * steps so every intermediate stays below 2⁵³ and each `%` is exact.
 */
function mod63(hi: number, lo: number, m: number): number {
  let r = hi % m;
  r = (r * 0x10000) % m;
  r = (r * 0x10000) % m;
  return (r + lo) % m;
}

/**
 * Writes the k bit positions of the hash in `h` (h1 hi, h1 lo, h2 hi, h2 lo) into `out`.
 *
 * Each is (combined AND 0x7FFF_FFFF_FFFF_FFFF) mod m for the 64-bit `combined` as (hi, lo). While
 * m ≤ 2²⁶ that is ((hi mod m)·(2³² mod m) + lo) mod m with every term below 2⁵³; the last mod
 * takes a floating division (exact to within one, then corrected), far cheaper than `%` on
 * doubles. Larger m folds hi in 16-bit steps ({@link mod63}).
 */
function positions(h: Uint32Array, m: number, k: number, out: Uint32Array): void {
  let hi = h[0];
  let lo = h[1];
  const addHi = h[2];
  const addLo = h[3];
  if (m <= 0x4000000) {
    const twoTo32ModM = 0x100000000 % m;
    for (let i = 0; i < k; i++) {
      const v = ((hi & 0x7fffffff) % m) * twoTo32ModM + lo;
      let r = v - Math.floor(v / m) * m;
      if (r < 0) r += m;
      else if (r >= m) r -= m;
      out[i] = r;
      const sum = lo + addLo;
      lo = sum >>> 0;
      hi = (hi + addHi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
    }
  } else {
    for (let i = 0; i < k; i++) {
      out[i] = mod63(hi & 0x7fffffff, lo, m);
      const sum = lo + addLo;
      lo = sum >>> 0;
      hi = (hi + addHi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
    }
  }
}

/**
 * The k bit positions of a name that is already normalized, in probe order. For clients and
 * tests that need the positions themselves; {@link filterContains} is the lookup.
 *
 * @param name - a normalized name (see {@link normalizeDomain})
 * @param bits - m, 1 ≤ m ≤ {@link MAX_FILTER_BITS}
 * @param hashes - k ≥ 1
 * @returns k bit indexes in [0, m)
 * @throws {BlocklistError} `INVALID_ARGUMENT` for m or k out of range
 * @example
 * bitPositions('ads.example.com', 2_552_396, 20).length; // 20
 */
export function bitPositions(name: string, bits: number, hashes: number): number[] {
  assertShape(bits, hashes);
  hashName(name);
  positions(hash, bits, hashes, bitsOf);
  return Array.from(bitsOf.subarray(0, hashes));
}

function assertShape(bits: number, hashes: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_FILTER_BITS) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `bits must be an integer in [1, ${MAX_FILTER_BITS}], got ${quote(bits)}`);
  }
  if (!Number.isInteger(hashes) || hashes < 1 || hashes > 2048) {
    throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, `hashes must be an integer in [1, 2048], got ${quote(hashes)}`);
  }
}

/**
 * Builds the filter for `domains` at false-positive rate `falsePositiveRate`, sized by
 * {@link bloomParameters} from `domains.length`. The bytes depend only on the names and p, not on
 * their order, so the same source always gives the same file.
 *
 * @param domains - unique normalized names, as {@link parseHosts} returns them (at least one; the
 *   count sizes the filter, so a repeated name only wastes space)
 * @param falsePositiveRate - p, in (0, 1)
 * @returns the filter in the published layout
 * @throws {BlocklistError} `NOT_NORMALIZED` when a name is not in normalized form (it could never be
 *   found); `INVALID_ARGUMENT` for an empty list or p outside (0, 1); `TOO_LARGE` past {@link MAX_FILTER_BITS}
 * @example
 * const filter = buildFilter(parseHosts(hostsText).domains, 1e-6);
 * filterContains(filter, 'ads.example.com'); // true
 */
export function buildFilter(domains: readonly string[], falsePositiveRate: number): BloomFilter {
  if (!Array.isArray(domains)) throw new BlocklistError(BlocklistErrorCode.INVALID_ARGUMENT, 'domains must be an array of names');
  const { bits, hashes } = bloomParameters(domains.length, falsePositiveRate);
  const bytes = new Uint8Array(Math.ceil(bits / 8));
  for (const name of domains) {
    if (typeof name !== 'string' || !isNormalizedDomain(name)) {
      throw new BlocklistError(BlocklistErrorCode.NOT_NORMALIZED, `not a normalized domain name: ${quote(name)}`);
    }
    hashName(name);
    positions(hash, bits, hashes, bitsOf);
    for (let i = 0; i < hashes; i++) bytes[bitsOf[i] >>> 3] |= 1 << (bitsOf[i] & 7);
  }
  return { bits, hashes, bytes };
}

/**
 * Wraps downloaded filter bytes with the manifest's `bits` and `hashes`, checking they fit.
 *
 * @param bytes - the file's bytes
 * @param bits - the manifest's `bits` (m)
 * @param hashes - the manifest's `hashes` (k)
 * @returns the filter
 * @throws {BlocklistError} `MALFORMED_FILTER` when the length is not ⌈m/8⌉ or a padding bit is set;
 *   `INVALID_ARGUMENT` for m or k out of range
 * @example
 * const filter = filterFromBytes(new Uint8Array(file), manifest.bits, manifest.hashes);
 */
export function filterFromBytes(bytes: Uint8Array, bits: number, hashes: number): BloomFilter {
  assertShape(bits, hashes);
  if (!(bytes instanceof Uint8Array) || bytes.length !== Math.ceil(bits / 8)) {
    throw new BlocklistError(BlocklistErrorCode.MALFORMED_FILTER, `a filter of ${bits} bits is ${Math.ceil(bits / 8)} bytes`);
  }
  if (bits % 8 !== 0 && bytes[bytes.length - 1] >> (bits % 8) !== 0) {
    throw new BlocklistError(BlocklistErrorCode.MALFORMED_FILTER, 'padding bits past the last filter bit must be zero');
  }
  return { bits, hashes, bytes };
}

/**
 * Whether the filter lists `name` (exactly this name; see {@link findBlocked} for parents). The
 * name is normalized first; a name that is not a domain is never listed. Bloom filter: `true` may
 * be a false positive (at the filter's rate), `false` is certain.
 *
 * @param filter - a filter from {@link buildFilter} or {@link filterFromBytes}
 * @param name - any spelling: `Ads.Example.COM.`, `bücher.example`
 * @returns true when all k bits of the name are set
 * @throws never for a filter from this library
 * @example
 * filterContains(filter, 'ADS.example.com.'); // true when ads.example.com was listed
 */
export function filterContains(filter: BloomFilter, name: string): boolean {
  const normalized = normalizeDomain(name);
  return normalized.ok && containsNormalized(filter, normalized.name);
}

function containsNormalized(filter: BloomFilter, name: string): boolean {
  const { bytes, bits, hashes } = filter;
  hashName(name);
  positions(hash, bits, hashes, bitsOf);
  for (let i = 0; i < hashes; i++) if ((bytes[bitsOf[i] >>> 3] & (1 << (bitsOf[i] & 7))) === 0) return false;
  return true;
}

/**
 * The way DNS blockers check a name: the name, then each parent domain (`a.b.example.com`,
 * `b.example.com`, `example.com`, `com`). Returns the first one the filter lists.
 *
 * @param filter - a filter from {@link buildFilter} or {@link filterFromBytes}
 * @param name - any spelling of a DNS name
 * @returns the listed (normalized) name, or undefined when neither the name nor a parent is listed
 *   or `name` is not a domain
 * @throws never for a filter from this library
 * @example
 * findBlocked(filter, 'cdn.ads.example.com'); // 'ads.example.com' when only that was listed
 */
export function findBlocked(filter: BloomFilter, name: string): string | undefined {
  const normalized = normalizeDomain(name);
  if (!normalized.ok) return undefined;
  return nameAndParents(normalized.name).find((candidate) => containsNormalized(filter, candidate));
}
