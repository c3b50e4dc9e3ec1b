import fc from 'fast-check';

import { WireGuardErrorCode } from './errors';
import { assertWireGuardKey, encodeWireGuardKey, isValidWireGuardKey, parseWireGuardKey } from './keys';
import { codeOf } from '../test/code-of';

// Public keys from the CONFIGURATION FILE FORMAT EXAMPLE of wg(8).
const MAN_PAGE_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const MAN_PAGE_KEY_2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';


describe('WireGuard keys', () => {
  it('accepts canonical keys from wg(8) and decodes them to 32 bytes', () => {
    for (const key of [MAN_PAGE_KEY, MAN_PAGE_KEY_2]) {
      expect(isValidWireGuardKey(key)).toBe(true);
      const bytes = parseWireGuardKey(key);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes).toHaveLength(32);
      expect(encodeWireGuardKey(bytes)).toBe(key);
      expect(assertWireGuardKey(key)).toBe(key);
    }
  });

  it.each([
    ['too short', MAN_PAGE_KEY.slice(1)],
    ['too long', `A${MAN_PAGE_KEY}`],
    ['missing padding', MAN_PAGE_KEY.slice(0, -1)],
    ['double padding', `${MAN_PAGE_KEY.slice(0, -2)}==`],
    ['url-safe alphabet', MAN_PAGE_KEY.replace('+', '-').replace('/', '_').replace('x', '-')],
    ['non-canonical trailing bits', `${MAN_PAGE_KEY.slice(0, 42)}h=`],
    ['trailing newline', `${MAN_PAGE_KEY}\n`],
    ['leading space', ` ${MAN_PAGE_KEY}`],
    ['embedded newline', `${MAN_PAGE_KEY.slice(0, 20)}\n${MAN_PAGE_KEY.slice(21)}`],
    ['all-zero key', `${'A'.repeat(43)}=`],
    ['empty', ''],
    ['hex', 'c5320103'.repeat(8)],
  ])('rejects %s', (_label, key) => {
    expect(isValidWireGuardKey(key)).toBe(false);
    expect(codeOf(() => parseWireGuardKey(key))).toBe(WireGuardErrorCode.INVALID_KEY);
  });

  it('rejects non-strings', () => {
    for (const value of [undefined, null, 42, {}, Buffer.alloc(32)]) {
      expect(isValidWireGuardKey(value)).toBe(false);
      expect(codeOf(() => parseWireGuardKey(value as unknown as string))).toBe(WireGuardErrorCode.INVALID_KEY);
    }
  });

  it('never echoes the rejected input in the error message (it may be a private key)', () => {
    const almostKey = `${MAN_PAGE_KEY.slice(0, 42)}h=`;
    try {
      parseWireGuardKey(almostKey, 'privateKey');
      throw new Error('expected a throw');
    } catch (error) {
      expect((error as Error).message).toContain('privateKey');
      expect((error as Error).message).not.toContain(almostKey.slice(0, 10));
    }
  });

  it('encodeWireGuardKey rejects anything but 32 bytes', () => {
    expect(codeOf(() => encodeWireGuardKey(new Uint8Array(31)))).toBe(WireGuardErrorCode.INVALID_KEY);
    expect(codeOf(() => encodeWireGuardKey(new Uint8Array(33)))).toBe(WireGuardErrorCode.INVALID_KEY);
  });

  it('round-trips every non-zero 32-byte key (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0)), (bytes) => {
        const text = encodeWireGuardKey(bytes);
        expect(isValidWireGuardKey(text)).toBe(true);
        expect(Array.from(parseWireGuardKey(text))).toEqual(Array.from(bytes));
      }),
    );
  });

  it('accepts exactly the strings whose decoding re-encodes to themselves (property)', () => {
    const b64 = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n'.split(''));
    fc.assert(
      fc.property(fc.array(b64, { minLength: 40, maxLength: 46 }).map((chars) => chars.join('')), (text) => {
        const decoded = Buffer.from(text, 'base64');
        const canonical = decoded.length === 32 && decoded.toString('base64') === text && decoded.some((x) => x !== 0);
        expect(isValidWireGuardKey(text)).toBe(canonical);
      }),
    );
  });
});
