import fc from 'fast-check';
import {
  base64Decode,
  base64Encode,
  base64urlDecode,
  base64urlEncode,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  utf8Decode,
} from './bytes';
import { CryptoErrorCode } from './errors';
import { codeOf } from '../test/code-of';


describe('byte helpers', () => {
  test('hex, base64 and base64url round-trip any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(hexToBytes(bytesToHex(b))).toEqual(b);
        expect(base64Decode(base64Encode(b))).toEqual(b);
        expect(base64urlDecode(base64urlEncode(b))).toEqual(b);
        const s = base64urlEncode(b);
        expect(base64urlDecode(s + '='.repeat((4 - (s.length % 4)) % 4))).toEqual(b);
      }),
    );
  });

  test.each([
    ['odd-length hex', () => hexToBytes('abc')],
    ['non-hex', () => hexToBytes('zz')],
    ['base64 without padding', () => base64Decode('AQI')],
    ['base64 with url alphabet', () => base64Decode('-_8=')],
    ['base64 non-canonical', () => base64Decode('AQJ=')],
    ['base64url with standard alphabet', () => base64urlDecode('+/8')],
    ['base64url non-canonical', () => base64urlDecode('AQJ')],
    ['base64url bad padding', () => base64urlDecode('AQI==')],
    ['base64url impossible length', () => base64urlDecode('A')],
    ['invalid UTF-8', () => utf8Decode(Uint8Array.of(0xff))],
  ])('rejects %s with INVALID_ENCODING', (_name, fn) => {
    expect(codeOf(fn)).toBe(CryptoErrorCode.INVALID_ENCODING);
  });

  test('equalBytes compares contents and lengths; concatBytes joins in order', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });
});
