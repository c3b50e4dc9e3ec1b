import fc from 'fast-check';

import { WireGuardErrorCode } from './errors';
import { formatIp, ipFromBigInt, isValidIp, normalizeIp, parseIp, parseIpv4, parseIpv6 } from './ip';
import { codeOf } from '../test/code-of';


describe('IPv4 addresses', () => {
  it('parses and formats dotted quads', () => {
    expect(parseIpv4('100.64.0.1')).toEqual({ version: 4, value: 0x64400001n });
    expect(parseIp('198.18.0.0').value).toBe(0xc6120000n);
    expect(formatIp({ version: 4, value: 0xffffffffn })).toBe('255.255.255.255');
    expect(formatIp({ version: 4, value: 0n })).toBe('0.0.0.0');
  });

  it.each(['', '100.64.0', '100.64.0.1.2', '100.64.0.256', '100.64.00.1', '100.64.0.01', '0x64.64.0.1', '100.64.1', '100.64..1', ' 100.64.0.1', '100.64.0.1 ', '100.64.0.1\n', '+1.2.3.4', '1.2.3.-4', '١.2.3.4'])(
    'rejects %j',
    (text) => {
      expect(isValidIp(text)).toBe(false);
      expect(codeOf(() => parseIpv4(text))).toBe(WireGuardErrorCode.INVALID_ADDRESS);
    },
  );
});

describe('IPv6 addresses', () => {
  // Text forms and their RFC 5952 canonical output; the cases follow RFC 5952 §4.
  it.each([
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], // §4.2.1: shorten as much as possible
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: one zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3: the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3: the first of equal runs
    ['2001:DB8::AAAA', '2001:db8::aaaa'], // §4.3: lowercase
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // §4.1: no leading zeros
    ['fd00:6a:1::', 'fd00:6a:1::'],
    ['fd00:006a:0001:0000:0000:0000:0000:0001', 'fd00:6a:1::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:2:3:4:5:6::7', '1:2:3:4:5:6:0:7'],
    ['::ffff:198.18.0.1', '::ffff:198.18.0.1'], // §5: IPv4-mapped keeps the dotted tail
    ['0:0:0:0:0:ffff:c612:1', '::ffff:198.18.0.1'],
    ['64:ff9b::198.18.0.1', '64:ff9b::c612:1'],
    ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
  ])('%s → %s', (input, canonical) => {
    expect(normalizeIp(input)).toBe(canonical);
    expect(normalizeIp(canonical)).toBe(canonical);
  });

  it.each([
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7::8',
    ':1::',
    '1::2:',
    '1:',
    ':1',
    '12345::',
    'g::',
    'fe80::1%eth0',
    '::1.2.3',
    '::1.2.3.4.5',
    '::256.0.0.1',
    '1.2.3.4::',
    '[::1]',
    ' ::1',
    '::1\n',
    '',
  ])('rejects %j', (text) => {
    expect(isValidIp(text)).toBe(false);
    expect(codeOf(() => parseIpv6(text))).toBe(WireGuardErrorCode.INVALID_ADDRESS);
  });

  it('rejects values out of range', () => {
    expect(codeOf(() => ipFromBigInt(4, 1n << 32n))).toBe(WireGuardErrorCode.INVALID_ADDRESS);
    expect(codeOf(() => formatIp({ version: 6, value: -1n }))).toBe(WireGuardErrorCode.INVALID_ADDRESS);
  });

  const groups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
  const toValue = (g: number[]) => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);

  it('formatting round-trips and is idempotent (property)', () => {
    fc.assert(
      fc.property(groups, (g) => {
        const value = toValue(g);
        const text = formatIp({ version: 6, value });
        expect(parseIp(text).value).toBe(value);
        expect(normalizeIp(text)).toBe(text);
        expect(normalizeIp(g.map((x) => x.toString(16).toUpperCase().padStart(4, '0')).join(':'))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the WHATWG URL serializer, which follows the same compression rules (property)', () => {
    fc.assert(
      fc.property(groups, (g) => {
        const value = toValue(g);
        fc.pre(value >> 32n !== 0xffffn); // WHATWG never writes the dotted IPv4-mapped tail
        const text = formatIp({ version: 6, value });
        expect(new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]/`).hostname).toBe(`[${text}]`);
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv4 formatting round-trips (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const text = formatIp({ version: 4, value: BigInt(n) });
        expect(parseIp(text).value).toBe(BigInt(n));
      }),
    );
  });
});
