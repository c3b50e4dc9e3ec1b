import { NONCE_BYTES, batchNonce, rowKey } from './row-key';

describe('rowKey', () => {
  const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);

  // Expected values from coreutils: printf '<nonce hex><index as 4 bytes BE>' | xxd -r -p | sha256sum,
  // first 16 hex digits read as an unsigned 64-bit integer.
  it.each([
    [0, '9609902610842559929'], // sha256 855d3b82555ea5b9…
    [499, '10648822432905607784'], // sha256 93c83795358cba68…
  ])('is the first 8 bytes, big-endian, of SHA-256(nonce ‖ index as uint32 BE) for index %i', (index, expected) => {
    expect(rowKey(nonce, index)).toBe(expected);
  });

  it('gives a retried batch the same keys and another batch other keys', () => {
    const a = batchNonce();
    const b = batchNonce();
    expect(a).toHaveLength(NONCE_BYTES);
    const keys = (n: Uint8Array) => Array.from({ length: 500 }, (_, i) => rowKey(n, i));
    expect(keys(a)).toEqual(keys(Buffer.from(a)));
    expect(new Set([...keys(a), ...keys(b)]).size).toBe(1000);
  });

  it('fits ClickHouse UInt64 as decimal text', () => {
    for (let i = 0; i < 100; i++) {
      const k = BigInt(rowKey(batchNonce(), i));
      expect(k >= 0n && k < 2n ** 64n).toBe(true);
    }
  });
});
