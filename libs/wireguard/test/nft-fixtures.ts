import type { NftRulesetInput } from '../src/nftables';

/** A dual-stack node's ruleset input (documentation/test ranges only). */
export function sampleRulesetInput(overrides: Partial<NftRulesetInput> = {}): NftRulesetInput {
  return {
    wgInterface: 'wg0',
    egressInterface: 'eth0',
    listenPort: 51820,
    tunnelCidrV4: '100.64.0.0/16',
    tunnelCidrV6: 'fd00:6a:1::/64',
    gatewayV4: '100.64.0.1',
    gatewayV6: 'fd00:6a:1::1',
    blockedV4: ['198.51.100.0/24', '203.0.113.7'],
    blockedV6: ['2001:db8:bad::/48'],
    allowTcpPorts: [22, 9100],
    ...overrides,
  };
}
