import { parseCidr, formatCidr, cidrSize, cidrContains, nthAddress, cidrFirst, cidrLast, cidrsOverlap, cidrContainsCidr, collapseCidrs, normalizeCidr, isValidCidr, parseAddressWithPrefix, formatAddressWithPrefix } from './cidr';
import { WireGuardErrorCode } from './errors';
import { formatIp, parseIp } from './ip';
import { codeOf } from '../test/code-of';


describe('CIDR', () => {
  it('parses network-form IPv4 and IPv6 prefixes', () => {
    expect(parseCidr('100.64.0.0/16')).toEqual({ version: 4, network: 0x64400000n, prefix: 16 });
    expect(formatCidr(parseCidr('fd00:6a:1::/64'))).toBe('fd00:6a:1::/64');
    expect(formatCidr(parseCidr('0.0.0.0/0'))).toBe('0.0.0.0/0');
    expect(formatCidr(parseCidr('::/0'))).toBe('::/0');
    expect(formatCidr(parseCidr('100.64.0.7/32'))).toBe('100.64.0.7/32');
    expect(formatCidr(parseCidr('FD00:6A:1:0::/64'))).toBe('fd00:6a:1::/64');
  });

  it('rejects host bits by default and masks them on request', () => {
    expect(codeOf(() => parseCidr('100.64.0.1/16'))).toBe(WireGuardErrorCode.INVALID_CIDR);
    expect(codeOf(() => parseCidr('fd00:6a:1::1/64'))).toBe(WireGuardErrorCode.INVALID_CIDR);
    expect(formatCidr(parseCidr('100.64.0.1/16', { allowHostBits: true }))).toBe('100.64.0.0/16');
    expect(normalizeCidr('FD00:6A:1::5/64')).toBe('fd00:6a:1::/64');
  });

  it.each([
    '100.64.0.0',
    '100.64.0.0/',
    '/16',
    '100.64.0.0/33',
    'fd00::/129',
    '100.64.0.0/016',
    '100.64.0.0/-1',
    '100.64.0.0/+8',
    '100.64.0.0/ 16',
    '100.64.0.0/16 ',
    '100.64.0.0/16/1',
    '100.64.0.0/16\nPostUp = x',
    '100.64.0/16',
    'fd00::1%eth0/64',
    'garbage',
    '',
  ])('rejects %j', (text) => {
    expect(isValidCidr(text)).toBe(false);
    expect(codeOf(() => parseCidr(text, { allowHostBits: true }))).toBe(WireGuardErrorCode.INVALID_CIDR);
  });

  it('computes size, first, last and nth address', () => {
    const v4 = parseCidr('100.64.0.0/16');
    expect(cidrSize(v4)).toBe(65_536n);
    expect(formatIp(cidrFirst(v4))).toBe('100.64.0.0');
    expect(formatIp(cidrLast(v4))).toBe('100.64.255.255');
    expect(formatIp(nthAddress(v4, 257n))).toBe('100.64.1.1');
    expect(codeOf(() => nthAddress(v4, 65_536n))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => nthAddress(v4, -1n))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);

    const v6 = parseCidr('fd00:6a:1::/64');
    expect(cidrSize(v6)).toBe(1n << 64n);
    expect(formatIp(cidrLast(v6))).toBe('fd00:6a:1:0:ffff:ffff:ffff:ffff');
    expect(formatIp(nthAddress(v6, 0x1234n))).toBe('fd00:6a:1::1234');
    expect(cidrSize(parseCidr('::/0'))).toBe(1n << 128n);
  });

  it('tests membership, never across versions', () => {
    const v4 = parseCidr('100.64.0.0/10');
    expect(cidrContains(v4, '100.64.0.1')).toBe(true);
    expect(cidrContains(v4, '100.127.255.255')).toBe(true);
    expect(cidrContains(v4, '100.128.0.0')).toBe(false);
    expect(cidrContains(v4, '198.18.0.1')).toBe(false);
    expect(cidrContains(v4, parseIp('::ffff:100.64.0.1'))).toBe(false);
    expect(cidrContains(parseCidr('fd00::/8'), 'fd00:6a:1::1')).toBe(true);
    expect(cidrContains(parseCidr('::/0'), '2001:db8::1')).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0'), '2001:db8::1')).toBe(false);
  });

  it('detects nesting and overlap', () => {
    const outer = parseCidr('100.64.0.0/10');
    const inner = parseCidr('100.64.0.0/16');
    const other = parseCidr('198.18.0.0/15');
    expect(cidrContainsCidr(outer, inner)).toBe(true);
    expect(cidrContainsCidr(inner, outer)).toBe(false);
    expect(cidrsOverlap(inner, outer)).toBe(true);
    expect(cidrsOverlap(outer, other)).toBe(false);
    expect(cidrsOverlap(parseCidr('fd00::/8'), inner)).toBe(false);
  });

  it('collapses nested CIDRs and sorts the rest', () => {
    const out = collapseCidrs(['198.18.1.0/24', '198.18.0.0/15', '198.18.0.7/32', '100.64.0.0/16', 'fd00::/8', 'fd00:6a::/32', '100.64.1.0/24'].map((c) => parseCidr(c)));
    expect(out.map(formatCidr)).toEqual(['100.64.0.0/16', '198.18.0.0/15', 'fd00::/8']);
  });

  it('keeps the host part for interface addresses', () => {
    const value = parseAddressWithPrefix('100.64.0.1/16');
    expect(formatIp(value.address)).toBe('100.64.0.1');
    expect(value.prefix).toBe(16);
    expect(formatAddressWithPrefix(parseAddressWithPrefix('FD00:6A:1::1/64'))).toBe('fd00:6a:1::1/64');
    expect(codeOf(() => parseAddressWithPrefix('100.64.0.1'))).toBe(WireGuardErrorCode.INVALID_CIDR);
  });
});
