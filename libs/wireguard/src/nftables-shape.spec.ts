import { sampleRulesetInput } from '../test/nft-fixtures';
import { nftTableShape, renderNftRuleset, sameNftTableShape } from './nftables';

// What `nft list table inet phoenix` printed (nftables 1.1, Debian) after loading the ruleset
// rendered from sampleRulesetInput({ tunnelGatewayUdpPorts: [53] }): note the merged
// 224.0.0.0/3 and the bare `::1`, which make a textual comparison impossible.
const LISTING = `table inet phoenix {
	set blocked_v4 {
		type ipv4_addr
		flags interval
		elements = { 198.51.100.0/24, 203.0.113.7 }
	}

	set blocked_v6 {
		type ipv6_addr
		flags interval
		elements = { 2001:db8:bad::/48 }
	}

	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state invalid drop
		ct state established,related accept
		icmp type { destination-unreachable, time-exceeded, parameter-problem } accept
		icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept
		ip6 hoplimit 255 icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
		udp dport 51820 accept
		iifname "wg0" ip saddr 100.64.0.0/16 ip daddr 100.64.0.1 icmp type echo-request accept
		iifname "wg0" ip saddr 100.64.0.0/16 ip daddr 100.64.0.1 udp dport 53 accept
		iifname "wg0" ip6 saddr fd00:6a:1::/64 ip6 daddr fd00:6a:1::1 icmpv6 type echo-request accept
		iifname "wg0" ip6 saddr fd00:6a:1::/64 ip6 daddr fd00:6a:1::1 udp dport 53 accept
		iifname != "wg0" tcp dport { 22, 9100 } accept
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		oifname "wg0" tcp flags syn tcp option maxseg size set rt mtu
		ct state invalid drop
		iifname "wg0" oifname "wg0" drop
		iifname "wg0" ip daddr @blocked_v4 drop
		iifname "wg0" ip6 daddr @blocked_v6 drop
		ct state established,related accept
		iifname "wg0" ip daddr { 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16, 224.0.0.0/3 } drop
		iifname "wg0" ip6 daddr { ::1, fc00::/7, fe80::/10, ff00::/8 } drop
		iifname "wg0" oifname "eth0" ip saddr 100.64.0.0/16 accept
		iifname "wg0" oifname "eth0" ip6 saddr fd00:6a:1::/64 accept
	}

	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" ip saddr 100.64.0.0/16 masquerade
		oifname "eth0" ip6 saddr fd00:6a:1::/64 masquerade
	}
}
`;

describe('nftTableShape', () => {
  const rendered = renderNftRuleset(sampleRulesetInput({ tunnelGatewayUdpPorts: [53] }));

  it('reads sets, chain headers and rule counts from a rendered ruleset', () => {
    expect(nftTableShape(rendered)).toEqual({
      sets: ['blocked_v4', 'blocked_v6'],
      chains: [
        { name: 'forward', header: 'type filter hook forward priority filter; policy drop;', rules: 10 },
        { name: 'input', header: 'type filter hook input priority filter; policy drop;', rules: 12 },
        { name: 'postrouting', header: 'type nat hook postrouting priority srcnat; policy accept;', rules: 2 },
      ],
    });
  });

  it('gives the same shape for the rendered ruleset and what nft lists after loading it', () => {
    expect(sameNftTableShape(nftTableShape(rendered), nftTableShape(LISTING))).toBe(true);
  });

  it('sees a deleted rule, a changed policy and a missing chain as a different shape', () => {
    const expected = nftTableShape(rendered);
    const lostRule = LISTING.replace('\t\tct state invalid drop\n', '');
    const accepting = LISTING.replace('hook forward priority filter; policy drop;', 'hook forward priority filter; policy accept;');
    const noNat = LISTING.replace(/\n\tchain postrouting \{[\s\S]*?\n\t\}\n/, '\n');
    for (const drifted of [lostRule, accepting, noNat]) {
      expect(drifted).not.toBe(LISTING);
      expect(sameNftTableShape(expected, nftTableShape(drifted))).toBe(false);
    }
  });

  it('is null when the text holds no phoenix table', () => {
    expect(nftTableShape('table inet filter {\n}\n')).toBeNull();
    expect(nftTableShape('')).toBeNull();
    expect(sameNftTableShape(null, nftTableShape(LISTING))).toBe(false);
  });
});
