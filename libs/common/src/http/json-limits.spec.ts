import { DEFAULT_JSON_LIMITS, JsonLimits, jsonLimitExceeded } from './json-limits';

const L = DEFAULT_JSON_LIMITS;
const check = (text: string, limits: Readonly<JsonLimits> = L) => jsonLimitExceeded(Buffer.from(text, 'utf8'), limits);
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const array = (n: number) => `[${new Array<string>(n).fill('0').join(',')}]`;
const object = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`;

/** The same measures taken on the parsed value: what the scanner must agree with on valid JSON. */
function measured(value: unknown): { depth: number; keys: number; elements: number; values: number; stringBytes: number } {
  const m = { depth: 0, keys: 0, elements: 0, values: 0, stringBytes: 0 };
  const str = (s: string) => {
    m.values++;
    m.stringBytes = Math.max(m.stringBytes, Buffer.byteLength(JSON.stringify(s)) - 2);
  };
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v === 'string') str(v);
    else if (Array.isArray(v)) {
      m.values++;
      m.depth = Math.max(m.depth, depth + 1);
      m.elements = Math.max(m.elements, v.length);
      for (const e of v) stack.push([e, depth + 1]);
    } else if (v !== null && typeof v === 'object') {
      m.values++;
      m.depth = Math.max(m.depth, depth + 1);
      m.keys = Math.max(m.keys, Object.keys(v).length);
      for (const [k, e] of Object.entries(v)) {
        str(k);
        stack.push([e, depth + 1]);
      }
    } else m.values++;
  }
  return m;
}

/** A deterministic pseudo-random JSON value (mulberry32). */
function randomValue(seed: number): unknown {
  let a = seed;
  const rnd = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const strings = ['', 'a', 'quote " inside', 'back\\slash', '[{not structure}]', 'ünïcødé ✓', 'x'.repeat(40), 'tab\tnew\nline'];
  const gen = (depth: number): unknown => {
    const r = rnd();
    if (depth > 6 || r < 0.35) {
      const s = rnd();
      if (s < 0.3) return strings[Math.floor(rnd() * strings.length)];
      if (s < 0.55) return Math.floor(rnd() * 2e6) - 1e6;
      if (s < 0.7) return rnd() * 1e-3;
      return [true, false, null][Math.floor(rnd() * 3)];
    }
    const n = Math.floor(rnd() * 6);
    if (r < 0.65) return Array.from({ length: n }, () => gen(depth + 1));
    return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${strings[i % strings.length]}${i}`, gen(depth + 1)]));
  };
  return gen(0);
}

describe('jsonLimitExceeded', () => {
  it('accepts bodies up to each limit, and names the limit one step beyond it', () => {
    expect(check(nested(L.maxDepth))).toBeUndefined();
    expect(check(nested(L.maxDepth + 1))).toMatch(/nested deeper than 32 levels/);
    expect(check(object(L.maxObjectKeys))).toBeUndefined();
    expect(check(object(L.maxObjectKeys + 1))).toMatch(/more than 256 keys/);
    expect(check(array(L.maxArrayElements))).toBeUndefined();
    expect(check(array(L.maxArrayElements + 1))).toMatch(/more than 1024 elements/);
    expect(check(`"${'a'.repeat(L.maxStringBytes)}"`)).toBeUndefined();
    expect(check(`"${'a'.repeat(L.maxStringBytes + 1)}"`)).toMatch(/longer than 8192 bytes/);
    expect(check(`{"${'k'.repeat(L.maxStringBytes + 1)}":1}`)).toMatch(/longer than 8192 bytes/);
    // 8 arrays of 1023 elements: 8 + 8 × 1023 + 1 = 8193 values.
    expect(check(`[${new Array<string>(8).fill(array(1023)).join(',')}]`)).toMatch(/more than 8192 values/);
    expect(check(`[${new Array<string>(7).fill(array(1023)).join(',')}]`)).toBeUndefined();
  });

  it('counts the keys of an object and the elements of an array apart, at every level', () => {
    const limits = { ...L, maxObjectKeys: 2, maxArrayElements: 3 };
    expect(check('[1,2,3]', limits)).toBeUndefined();
    expect(check('{"a":1,"b":2}', limits)).toBeUndefined();
    expect(check('{"a":[1,2,3],"b":{"c":1,"d":[4,5,6]}}', limits)).toBeUndefined();
    expect(check('{"a":[1,2,3],"b":{"c":1,"d":2,"e":3}}', limits)).toMatch(/more than 2 keys/);
    expect(check('[[1,2,3],[4,5,6],{"a":[7,8,9,10]}]', limits)).toMatch(/more than 3 elements/);
  });

  it('reads structure inside strings as text, escaped quotes included', () => {
    const limits = { ...L, maxDepth: 1, maxArrayElements: 1, maxStringBytes: 40 };
    expect(check('["[[[[{{{{,,,,\\"]]]]"]', limits)).toBeUndefined();
    expect(check('{"a\\\\":[1]}', limits)).toMatch(/nested deeper than 1/);
    expect(check(`["${'\\"'.repeat(20)}"]`, limits)).toBeUndefined();
    expect(check(`["${'\\"'.repeat(20)}x"]`, limits)).toMatch(/longer than 40 bytes/);
  });

  it('agrees with the same measures taken on the parsed value', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const value = randomValue(seed);
      const text = JSON.stringify(value, null, seed % 3 === 0 ? 2 : undefined);
      const m = measured(value);
      const exact = { maxDepth: m.depth, maxObjectKeys: Math.max(1, m.keys), maxArrayElements: Math.max(1, m.elements), maxValues: m.values, maxStringBytes: m.stringBytes };
      expect({ seed, verdict: check(text, exact) }).toEqual({ seed, verdict: undefined });
      if (m.depth > 0) expect(check(text, { ...exact, maxDepth: m.depth - 1 })).toMatch(/nested deeper/);
      if (m.keys > 1) expect(check(text, { ...exact, maxObjectKeys: m.keys - 1 })).toMatch(/keys/);
      if (m.elements > 1) expect(check(text, { ...exact, maxArrayElements: m.elements - 1 })).toMatch(/elements/);
      expect(check(text, { ...exact, maxValues: m.values - 1 })).toMatch(/values/);
      if (m.stringBytes > 0) expect(check(text, { ...exact, maxStringBytes: m.stringBytes - 1 })).toMatch(/longer than/);
    }
  });

  it('scans a million levels of nesting without recursion', () => {
    expect(check(nested(1_000_000))).toMatch(/nested deeper than 32/);
    expect(check('['.repeat(1_000_000))).toMatch(/nested deeper than 32/);
  });
});
