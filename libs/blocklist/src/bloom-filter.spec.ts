import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { codeOf } from '../test/code-of';
import { referenceBits, referenceContains, referenceFilter } from '../test/reference';
import { BLOCKLIST_FORMAT, MAX_FILTER_BITS, bitPositions, bloomParameters, buildFilter, filterContains, filterFromBytes, findBlocked } from './bloom-filter';
import { BlocklistErrorCode } from './errors';
import { parseHosts } from './hosts';

const VECTORS = join(__dirname, '../test/vectors');
const golden = JSON.parse(readFileSync(join(VECTORS, 'small.golden.json'), 'utf8')) as {
  domains: string[];
  filters: Array<{ falsePositiveRate: number; bits: number; hashes: number; hex: string }>;
};
const smallHosts = readFileSync(join(VECTORS, 'small.hosts'), 'utf8');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const label = fc.stringMatching(/^[a-z0-9_-]{1,12}$/).filter((l) => !/^[0-9]+$/.test(l));
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));

describe('bloomParameters', () => {
  // m = ⌈−n·ln p / (ln 2)²⌉ and k = round(m/n·ln 2), the exact values computed with 60-digit
  // decimal arithmetic (Python's decimal), e.g. 88,763 · 13.8155… / 0.48045… = 2,552,395.61 → 2,552,396.
  it.each([
    [88_763, 1e-6, 2_552_396, 20],
    [1, 0.5, 2, 1],
    [1, 0.01, 10, 7],
    [1000, 0.01, 9586, 7],
    [1_000_000, 0.001, 14_377_588, 10],
    [10, 0.1, 48, 3],
    [3, 0.3, 8, 2],
  ])('n = %i, p = %d → m = %i bits, k = %i', (n, p, bits, hashes) => {
    expect(bloomParameters(n, p)).toEqual({ bits, hashes });
  });

  it('gives 28.76 bits per domain at p = 1e-6 (StevenBlack’s 88,763 domains)', () => {
    expect((bloomParameters(88_763, 1e-6).bits / 88_763).toFixed(2)).toBe('28.76');
  });

  it('refuses a count that is not a positive integer, p outside (0, 1), and filters past the limit', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(codeOf(() => bloomParameters(n, 0.01))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
    for (const p of [0, 1, -0.1, 1.5, Number.NaN]) expect(codeOf(() => bloomParameters(10, p))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => bloomParameters(200_000_000, 1e-6))).toBe(BlocklistErrorCode.TOO_LARGE);
    expect(codeOf(() => bloomParameters(100_000_000, 1e-6))).toBeUndefined(); // 2.88e9 bits ≤ 2³²
  });
});

describe('buildFilter: the published format', () => {
  it('names its format as API.md does', () => {
    expect(BLOCKLIST_FORMAT).toBe('bloom-murmur3-km-v1');
  });

  it.each(golden.filters.map((f) => [f.falsePositiveRate, f] as const))('golden (small.hosts, p = %d): the bytes match the committed file', (p, expected) => {
    const filter = buildFilter(parseHosts(smallHosts).domains, p);
    expect({ bits: filter.bits, hashes: filter.hashes, hex: hex(filter.bytes) }).toEqual({ bits: expected.bits, hashes: expected.hashes, hex: expected.hex });
  });

  it.each(golden.filters.map((f) => [f.falsePositiveRate, f] as const))(
    'golden (small.hosts, p = %d): the independent reference from API.md’s text builds the same bytes and finds every domain in them',
    (_p, expected) => {
      const bytes = new Uint8Array(Buffer.from(expected.hex, 'hex'));
      expect(bytes).toHaveLength(Math.ceil(expected.bits / 8));
      expect(hex(referenceFilter(golden.domains, expected.bits, expected.hashes))).toBe(expected.hex);
      for (const name of golden.domains) {
        expect({ name, listed: referenceContains(bytes, expected.bits, expected.hashes, name) }).toEqual({ name, listed: true });
        expect({ name, bits: bitPositions(name, expected.bits, expected.hashes) }).toEqual({ name, bits: referenceBits(name, expected.bits, expected.hashes) });
      }
    },
  );

  it('stores bit b in byte ⌊b/8⌋ at position b mod 8, least significant first, zero-padded', () => {
    const filter = buildFilter(['ads.example.com'], 0.01); // m = 10, k = 7
    expect(filter.bytes).toHaveLength(2);
    const expected = new Uint8Array(2);
    for (const b of referenceBits('ads.example.com', 10, 7)) expected[b >> 3] |= 1 << (b & 7);
    expect(hex(filter.bytes)).toBe(hex(expected));
    expect(filter.bytes[1] & 0xfc).toBe(0); // bits 10–15 are padding
  });

  it('matches the reference bit positions for every size regime, including m above 2²⁶ and up to 2³²', () => {
    // Below 2²⁶ the library takes a one-multiply shortcut, above it folds in 16-bit steps.
    const sizes = fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 0x4000000 }), fc.integer({ min: 0x4000000, max: MAX_FILTER_BITS }), fc.constantFrom(1, 2, 0x4000000, 0x4000001, MAX_FILTER_BITS - 1, MAX_FILTER_BITS));
    fc.assert(
      fc.property(domain, sizes, fc.integer({ min: 1, max: 40 }), (name, m, k) => {
        expect(bitPositions(name, m, k)).toEqual(referenceBits(name, m, k));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds every inserted name (no false negatives) at any rate', () => {
    fc.assert(
      fc.property(fc.uniqueArray(domain, { minLength: 1, maxLength: 200 }), fc.constantFrom(0.3, 0.01, 1e-6, 1e-12), (names, p) => {
        const filter = buildFilter(names, p);
        for (const name of names) expect({ name, listed: filterContains(filter, name) }).toEqual({ name, listed: true });
      }),
      { numRuns: 200 },
    );
  });

  it('is reproducible: two builds of the same source give identical bytes, in whatever order the names come', () => {
    const first = buildFilter(parseHosts(smallHosts).domains, 1e-6);
    const second = buildFilter(parseHosts(smallHosts).domains, 1e-6);
    expect(hex(second.bytes)).toBe(hex(first.bytes));
    fc.assert(
      fc.property(fc.uniqueArray(domain, { minLength: 1, maxLength: 100 }), (names) => {
        expect(hex(buildFilter([...names].reverse(), 0.01).bytes)).toBe(hex(buildFilter(names, 0.01).bytes));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses names that are not normalized (they could never be looked up)', () => {
    for (const bad of ['Ads.example.com', 'ads.example.com.', 'bücher.example', '1.2.3.4', '', 'a..b']) {
      expect({ bad, code: codeOf(() => buildFilter([bad], 0.01)) }).toEqual({ bad, code: BlocklistErrorCode.NOT_NORMALIZED });
    }
    expect(codeOf(() => buildFilter([], 0.01))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => buildFilter(['a.example'], 1))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
  });
});

describe('lookups', () => {
  const filter = buildFilter(parseHosts(smallHosts).domains, 1e-6);

  it('normalizes the name it is asked about as the builder did', () => {
    expect(filterContains(filter, 'ADS.example.COM.')).toBe(true);
    expect(filterContains(filter, 'Bücher.example')).toBe(true);
    expect(filterContains(filter, 'xn--bcher-kva.example')).toBe(true);
    expect(filterContains(filter, '日本語.jp.')).toBe(true);
    expect(filterContains(filter, 'upper.example.com')).toBe(true);
  });

  it('does not list names that are not in the list (p = 1e-6), nor names that are not domains', () => {
    for (const name of ['example.com', 'ads.example.org', 'localhost', 'multi.example.com', 'wildcard.example.com', '*.wildcard.example.com', '', '0.0.0.0']) {
      expect({ name, listed: filterContains(filter, name) }).toEqual({ name, listed: false });
    }
  });

  it('findBlocked checks the name and then each parent domain, as DNS blockers do', () => {
    expect(findBlocked(filter, 'ads.example.com')).toBe('ads.example.com');
    expect(findBlocked(filter, 'cdn.eu.ADS.example.com.')).toBe('ads.example.com');
    expect(findBlocked(filter, 'x.a.b.c.d.e.deep.example.com')).toBe('a.b.c.d.e.deep.example.com');
    expect(findBlocked(filter, 'b.c.d.e.deep.example.com')).toBeUndefined(); // a parent of a listed name is not listed
    expect(findBlocked(filter, 'www.example.com')).toBeUndefined();
    expect(findBlocked(filter, 'not a name')).toBeUndefined();
  });
});

describe('filterFromBytes', () => {
  const built = buildFilter(golden.domains, 1e-6); // 489 bits: 61 bytes and one bit

  it('takes downloaded bytes with the manifest’s bits and hashes and looks names up in them', () => {
    const filter = filterFromBytes(Uint8Array.from(built.bytes), built.bits, built.hashes);
    expect(golden.domains.every((d) => filterContains(filter, d))).toBe(true);
  });

  it('refuses bytes of the wrong length, set padding bits and impossible sizes', () => {
    expect(codeOf(() => filterFromBytes(built.bytes.subarray(1), built.bits, built.hashes))).toBe(BlocklistErrorCode.MALFORMED_FILTER);
    const padded = Uint8Array.from(built.bytes);
    padded[padded.length - 1] |= 0x80;
    expect(codeOf(() => filterFromBytes(padded, built.bits, built.hashes))).toBe(BlocklistErrorCode.MALFORMED_FILTER);
    expect(codeOf(() => filterFromBytes(built.bytes, 0, built.hashes))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => filterFromBytes(built.bytes, built.bits, 0))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => filterFromBytes(built.bytes, MAX_FILTER_BITS + 1, 1))).toBe(BlocklistErrorCode.INVALID_ARGUMENT);
  });
});
