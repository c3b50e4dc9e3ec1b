// Deterministic RandomSource for specs (sfc32 seeded through splitmix32). Not cryptographic;
// production injects crypto.randomBytes.
import type { RandomSource } from '../src/random';

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A reproducible stream of bytes: the same seed always yields the same sequence. */
export function seededRandom(seed: number): RandomSource {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const word = next();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  };
}

/** A source that replays fixed bytes (cycling), for pinning exact draws. */
export function fixedRandom(bytes: readonly number[]): RandomSource {
  let i = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let j = 0; j < n; j++) out[j] = bytes[i++ % bytes.length] as number;
    return out;
  };
}
