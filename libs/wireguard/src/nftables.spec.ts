import { WireGuardErrorCode } from './errors';
import { sampleRulesetInput } from '../test/nft-fixtures';
import { NftRulesetInput, renderNftRuleset } from './nftables';
import { codeOf } from '../test/code-of';


/** The lines of one chain's body, trimmed. */
function chain(text: string, name: string): string[] {
  const start = text.indexOf(`\tchain ${name} {\n`);
  expect(start).toBeGreaterThan(0);
  const end = text.indexOf('\n\t}', start);
  return text.slice(start, end).split('\n').slice(1).map((l) => l.trim());
}

describe('renderNftRuleset', () => {
  const text = renderNftRuleset(sampleRulesetInput());

  it('replaces its own table atomically: create-if-missing, delete, redefine, in one file', () => {
    const lines = text.split('\n');
    const create = lines.indexOf('table inet phoenix {}');
    const remove = lines.indexOf('delete table inet phoenix');
    const define = lines.indexOf('table inet phoenix {');
    expect(create).toBeGreaterThanOrEqual(0);
    expect(remove).toBe(create + 1);
    expect(define).toBe(remove + 1);
    expect(text).not.toMatch(/flush ruleset/);
    expect(text.match(/^table /gm)).toHaveLength(2);
  });

  it('masquerades both tunnel pools out of the egress interface', () => {
    expect(chain(text, 'postrouting')).toEqual([
      'type nat hook postrouting priority srcnat; policy accept;',
      'oifname "eth0" ip saddr 100.64.0.0/16 masquerade',
      'oifname "eth0" ip6 saddr fd00:6a:1::/64 masquerade',
    ]);
  });

  it('forwards only tunnel → egress and replies, dropping client-to-client and blocked traffic first', () => {
    const rules = chain(text, 'forward');
    expect(rules[0]).toBe('type filter hook forward priority filter; policy drop;');
    const at = (rule: string) => {
      const i = rules.indexOf(rule);
      expect(i).toBeGreaterThan(0);
      return i;
    };
    const established = at('ct state established,related accept');
    expect(at('iifname "wg0" oifname "wg0" drop')).toBeLessThan(established);
    expect(at('iifname "wg0" ip daddr @blocked_v4 drop')).toBeLessThan(established);
    expect(at('iifname "wg0" ip6 daddr @blocked_v6 drop')).toBeLessThan(established);
    const egress4 = at('iifname "wg0" oifname "eth0" ip saddr 100.64.0.0/16 accept');
    const egress6 = at('iifname "wg0" oifname "eth0" ip6 saddr fd00:6a:1::/64 accept');
    expect(rules[1]).toBe('oifname "wg0" tcp flags syn tcp option maxseg size set rt mtu'); // before any accept
    const private4 = rules.findIndex((r) => r.startsWith('iifname "wg0" ip daddr {') && r.endsWith('} drop'));
    const private6 = rules.findIndex((r) => r.startsWith('iifname "wg0" ip6 daddr {') && r.endsWith('} drop'));
    expect(private4).toBeGreaterThan(0);
    expect(private4).toBeLessThan(egress4);
    expect(private6).toBeLessThan(egress6);
  });

  it('drops tunnel traffic to private, link-local, CGNAT and ULA ranges', () => {
    const rules = chain(text, 'forward');
    const v4 = rules.find((r) => r.startsWith('iifname "wg0" ip daddr {')) as string;
    for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '127.0.0.0/8']) expect(v4).toContain(range);
    const v6 = rules.find((r) => r.startsWith('iifname "wg0" ip6 daddr {')) as string;
    for (const range of ['fc00::/7', 'fe80::/10']) expect(v6).toContain(range);
  });

  it('accepts only loopback, replies, WireGuard, essential ICMP, ping to the gateway and management ports on input', () => {
    const rules = chain(text, 'input');
    expect(rules[0]).toBe('type filter hook input priority filter; policy drop;');
    expect(rules).toContain('iif "lo" accept');
    expect(rules).toContain('ct state established,related accept');
    expect(rules).toContain('udp dport 51820 accept');
    expect(rules.some((r) => r.startsWith('icmp type {') && r.includes('destination-unreachable'))).toBe(true);
    expect(rules.some((r) => r.startsWith('icmpv6 type {') && r.includes('packet-too-big'))).toBe(true);
    expect(rules.some((r) => r.includes('nd-neighbor-solicit'))).toBe(true);
    expect(rules).toContain('iifname "wg0" ip saddr 100.64.0.0/16 ip daddr 100.64.0.1 icmp type echo-request accept');
    expect(rules).toContain('iifname "wg0" ip6 saddr fd00:6a:1::/64 ip6 daddr fd00:6a:1::1 icmpv6 type echo-request accept');
    // Management ports are never reachable from the tunnel.
    expect(rules).toContain('iifname != "wg0" tcp dport { 22, 9100 } accept');
    expect(rules.filter((r) => r.endsWith('accept') && r.includes('tcp dport') && !r.startsWith('iifname != "wg0"'))).toEqual([]);
  });

  it('opens chosen gateway ports to tunnel clients when asked (e.g. a resolver on the node)', () => {
    const rules = chain(renderNftRuleset(sampleRulesetInput({ tunnelGatewayUdpPorts: [53], tunnelGatewayTcpPorts: [53] })), 'input');
    expect(rules).toContain('iifname "wg0" ip saddr 100.64.0.0/16 ip daddr 100.64.0.1 udp dport 53 accept');
    expect(rules).toContain('iifname "wg0" ip6 saddr fd00:6a:1::/64 ip6 daddr fd00:6a:1::1 tcp dport 53 accept');
  });

  it('declares the blocked sets as interval sets, collapsing nested entries', () => {
    expect(text).toContain('\tset blocked_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 198.51.100.0/24, 203.0.113.7 }\n\t}');
    expect(text).toContain('\tset blocked_v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\telements = { 2001:db8:bad::/48 }\n\t}');
    const collapsed = renderNftRuleset(sampleRulesetInput({ blockedV4: ['198.51.100.7', '198.51.100.0/24', '203.0.113.0/25', '203.0.113.128/25'], blockedV6: [] }));
    expect(collapsed).toContain('elements = { 198.51.100.0/24, 203.0.113.0/25, 203.0.113.128/25 }');
    expect(collapsed).toContain('\tset blocked_v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}');
  });

  it('renders an IPv4-only node without IPv6 pool rules', () => {
    const v4only = renderNftRuleset(sampleRulesetInput({ tunnelCidrV6: undefined, gatewayV6: undefined, allowTcpPorts: undefined }));
    expect(v4only).not.toMatch(/ip6 saddr/);
    expect(v4only).toContain('oifname "eth0" ip saddr 100.64.0.0/16 masquerade');
    expect(v4only).not.toMatch(/tcp dport/);
  });

  it.each<[string, Partial<NftRulesetInput>, WireGuardErrorCode]>([
    ['an interface name with a quote', { wgInterface: 'wg0" accept' }, WireGuardErrorCode.INVALID_INTERFACE],
    ['an interface name with a newline', { egressInterface: 'eth0\nflush ruleset' }, WireGuardErrorCode.INVALID_INTERFACE],
    ['an interface name with a semicolon', { egressInterface: 'eth0;' }, WireGuardErrorCode.INVALID_INTERFACE],
    ['a 16-character interface name', { wgInterface: 'wg0123456789abcd' }, WireGuardErrorCode.INVALID_INTERFACE],
    ['an interface name starting with "-"', { wgInterface: '-wg0' }, WireGuardErrorCode.INVALID_INTERFACE],
    ['an empty interface name', { egressInterface: '' }, WireGuardErrorCode.INVALID_INTERFACE],
    ['the same interface twice', { egressInterface: 'wg0' }, WireGuardErrorCode.INVALID_INTERFACE],
    ['port 0', { listenPort: 0 }, WireGuardErrorCode.INVALID_ARGUMENT],
    ['a management port string', { allowTcpPorts: ['22 } accept' as unknown as number] }, WireGuardErrorCode.INVALID_ARGUMENT],
    ['a pool with host bits', { tunnelCidrV4: '100.64.0.1/16' }, WireGuardErrorCode.INVALID_CIDR],
    ['a pool with injected text', { tunnelCidrV4: '100.64.0.0/16 accept' }, WireGuardErrorCode.INVALID_CIDR],
    ['an IPv6 pool as the v4 pool', { tunnelCidrV4: 'fd00:6a:1::/64' }, WireGuardErrorCode.INVALID_CIDR],
    ['a gateway outside the pool', { gatewayV4: '100.65.0.1' }, WireGuardErrorCode.INVALID_ADDRESS],
    ['a v6 pool without gateway', { gatewayV6: undefined }, WireGuardErrorCode.INVALID_ARGUMENT],
    ['a blocked entry that is not an address', { blockedV4: ['198.51.100.1 }'] }, WireGuardErrorCode.INVALID_ADDRESS],
    ['a blocked CIDR with a bad prefix', { blockedV4: ['198.51.100.0/33'] }, WireGuardErrorCode.INVALID_CIDR],
    ['an IPv6 entry in the IPv4 set', { blockedV4: ['2001:db8::1'] }, WireGuardErrorCode.INVALID_ADDRESS],
    ['an IPv4 entry in the IPv6 set', { blockedV6: ['198.51.100.1'] }, WireGuardErrorCode.INVALID_ADDRESS],
  ])('rejects %s', (_label, overrides, code) => {
    expect(codeOf(() => renderNftRuleset(sampleRulesetInput(overrides)))).toBe(code);
  });
});
