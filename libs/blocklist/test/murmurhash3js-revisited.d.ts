// The npm package ships no types; only what test/reference.ts uses.
declare module 'murmurhash3js-revisited' {
  /** MurmurHash3_x64_128 of `key` as 32 hex digits: h1 then h2, each most significant digit first. */
  export const x64: { hash128(key: Uint8Array, seed?: number): string };
}
