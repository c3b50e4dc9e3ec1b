import { Random } from './random';

describe('Random.source: CSPRNG bytes served from a pool', () => {
  it('returns exactly the bytes asked for, across refills and beyond the pool size', () => {
    const random = new Random();
    for (const n of [1, 3, 16, 4095, 4096, 4097, 10_000]) expect(random.source(n)).toHaveLength(n);
  });

  it('never hands out the same bytes twice: draws across a refill all differ, and each is a copy', () => {
    const random = new Random();
    const seen = new Set<string>();
    // 40 draws of 256 bytes span two and a half pools.
    for (let i = 0; i < 40; i++) {
      const bytes = random.source(256);
      const hex = Buffer.from(bytes).toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      bytes.fill(0);
    }
    expect(Buffer.from(random.source(256)).equals(Buffer.alloc(256))).toBe(false);
  });
});
