// Runs the real `nft` in check mode (-c: parse and validate against the kernel, commit nothing)
// on generated rulesets. Needs the nft binary and CAP_NET_ADMIN (CI runs as root); without them
// the test fails with a message saying so rather than silently passing.
import { execFileSync } from 'node:child_process';

import { sampleRulesetInput } from '../test/nft-fixtures';
import { renderNftRuleset } from './nftables';

function nftCheck(ruleset: string): void {
  try {
    execFileSync('nft', ['-c', '-f', '-'], { input: ruleset, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string; status?: number };
    if (e.code === 'ENOENT') throw new Error('`nft` is not installed (apt-get install nftables); this spec validates the generated ruleset with it');
    const stderr = e.stderr ?? '';
    if (/Operation not permitted|Permission denied/i.test(stderr)) {
      throw new Error(`\`nft -c\` needs root or CAP_NET_ADMIN to check the ruleset against the kernel:\n${stderr}`);
    }
    throw new Error(`nft rejected the generated ruleset (exit ${e.status}):\n${stderr}\n--- ruleset ---\n${ruleset}`);
  }
}

describe('generated nftables ruleset (nft -c)', () => {
  it('is accepted by nft for a dual-stack node with blocklists and management ports', () => {
    nftCheck(renderNftRuleset(sampleRulesetInput({ tunnelGatewayUdpPorts: [53], tunnelGatewayTcpPorts: [53, 853] })));
  });

  it('is accepted by nft for an IPv4-only node with empty blocklists', () => {
    nftCheck(
      renderNftRuleset(
        sampleRulesetInput({ tunnelCidrV6: undefined, gatewayV6: undefined, blockedV4: [], blockedV6: [], allowTcpPorts: undefined }),
      ),
    );
  });

  it('is accepted by nft with adjacent and nested blocklist entries', () => {
    nftCheck(renderNftRuleset(sampleRulesetInput({ blockedV4: ['198.51.100.0/25', '198.51.100.128/25', '198.51.100.7', '203.0.113.0/24'], blockedV6: ['2001:db8::/32', '2001:db8:1::1'] })));
  });
});
