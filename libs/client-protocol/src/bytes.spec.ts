import fc from 'fast-check';
import { base64Decode, base64Encode, base64urlDecode, base64urlEncode } from './bytes';

describe('base64 without Buffer', () => {
  it('agrees with Node for every byte string, both alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(base64Encode(bytes)).toBe(Buffer.from(bytes).toString('base64'));
        expect(base64urlEncode(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
        expect(Buffer.from(base64Decode(base64Encode(bytes))).equals(Buffer.from(bytes))).toBe(true);
        expect(Buffer.from(base64urlDecode(base64urlEncode(bytes))).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('refuses what is not base64', () => {
    for (const bad of ['a b', 'ab$c', 'a', '====a']) expect(() => base64Decode(bad)).toThrow('not base64');
  });
});
