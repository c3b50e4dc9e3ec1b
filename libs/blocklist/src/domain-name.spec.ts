import fc from 'fast-check';
import { isNormalizedDomain, nameAndParents, normalizeDomain } from './domain-name';

describe('normalizeDomain', () => {
  it.each([
    ['ads.example.com', 'ads.example.com'],
    ['Ads.Example.COM', 'ads.example.com'],
    ['ads.example.com.', 'ads.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.example.', 'xn--bcher-kva.example'],
    ['日本語.jp', 'xn--wgv71a119e.jp'],
    ['ＥＸＡＭＰＬＥ.com', 'example.com'], // full-width letters: UTS #46 maps them
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['philadelphia_cbslocal.us.intellitxt.com', 'philadelphia_cbslocal.us.intellitxt.com'],
    ['123.example.com', '123.example.com'],
    ['-edge-.example.com', '-edge-.example.com'],
    ['localhost', 'localhost'], // single labels are names; the hosts parser drops the localhost block
    [`${'a'.repeat(63)}.com`, `${'a'.repeat(63)}.com`],
  ])('%j → %j', (input, expected) => {
    expect(normalizeDomain(input)).toEqual({ ok: true, name: expected });
  });

  it.each([
    ['', 'empty-label'],
    ['.', 'empty-label'],
    ['a..b.com', 'empty-label'],
    ['.a.com', 'empty-label'],
    ['a.com..', 'empty-label'],
    ['*.ads.com', 'characters'],
    ['ads.example.com:443', 'characters'],
    ['a b.com', 'characters'],
    ['a/b.com', 'characters'], // domainToASCII would return "a" for this one
    ['ü/x.com', 'characters'],
    ['ü@x.com', 'characters'],
    [`${'a'.repeat(64)}.com`, 'length'],
    [`${'a.'.repeat(126)}ab`, 'length'], // 254 characters
    ['0.0.0.0', 'ip-address'],
    ['1.2.3.4', 'ip-address'],
    ['example.123', 'ip-address'],
    ['ü.xn--zz.example', 'idna'],
  ])('%j is refused: %s', (input, reason) => {
    expect(normalizeDomain(input)).toEqual({ ok: false, reason });
  });

  it('accepts a name of exactly 253 characters', () => {
    const name = `${'a.'.repeat(125)}abc`;
    expect(name).toHaveLength(253);
    expect(normalizeDomain(name)).toEqual({ ok: true, name });
  });

  it('is idempotent, and isNormalizedDomain recognizes exactly its outputs', () => {
    const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    const anyName = fc.oneof(
      fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.')),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
    );
    fc.assert(
      fc.property(anyName, (name) => {
        const once = normalizeDomain(name);
        if (once.ok) {
          expect(normalizeDomain(once.name)).toEqual(once);
          expect(isNormalizedDomain(once.name)).toBe(true);
        }
        expect(isNormalizedDomain(name)).toBe(once.ok && once.name === name);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('nameAndParents', () => {
  it('lists the name, then each parent domain down to the last label', () => {
    expect(nameAndParents('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com', 'com']);
    expect(nameAndParents('com')).toEqual(['com']);
  });
});
