import {
  CommandRunner,
  gatewayAddress,
  NftTableShape,
  nftApply,
  nftDeleteTable,
  nftListTableIfExists,
  nftTableShape,
  renderNftRuleset,
  sameNftTableShape,
} from '@phoenix/wireguard';
import { messageOf, NodeLogger } from './log';
import { NodeMetrics } from './node.metrics';
import { NodeSettings } from './node-settings';

export interface FirewallDeps {
  runner: CommandRunner;
  metrics: NodeMetrics;
  logger: NodeLogger;
}

/**
 * The node's nftables table (`inet phoenix`), apply-then-verify (mullvad's model): the whole
 * ruleset goes in atomically with `nft -f -`, then the live table is listed and must have the
 * rendered shape. Later runs compare the live listing with the one taken then and re-apply on any
 * drift.
 */
export class Firewall {
  private readonly ruleset: string;
  private readonly rulesetShape: NftTableShape | null;
  /** The live listing taken right after the last verified apply; `null` until then. */
  private baseline: string | null = null;
  private verified = false;

  constructor(
    settings: NodeSettings,
    private readonly deps: FirewallDeps,
  ) {
    this.ruleset = renderNftRuleset({
      wgInterface: settings.iface,
      egressInterface: settings.egressInterface,
      listenPort: settings.listenPort,
      tunnelCidrV4: settings.tunnelCidrV4,
      gatewayV4: gatewayAddress(settings.tunnelCidrV4),
      ...(settings.tunnelCidrV6 ? { tunnelCidrV6: settings.tunnelCidrV6, gatewayV6: gatewayAddress(settings.tunnelCidrV6) } : {}),
      blockedV4: [],
      blockedV6: [],
      allowTcpPorts: settings.adminTcpPorts,
    });
    this.rulesetShape = nftTableShape(this.ruleset);
  }

  /** In place and verified, as far as the last check knew. */
  get healthy(): boolean {
    return this.verified;
  }

  /** Applies the ruleset when missing or drifted; a failure is logged and leaves it unhealthy. */
  async heal(): Promise<void> {
    try {
      await this.ensure();
      this.verified = true;
    } catch (error) {
      this.verified = false;
      this.deps.logger.error(`firewall could not be applied: ${messageOf(error)}`);
    }
  }

  /** Deletes the table (decommission). */
  async remove(): Promise<void> {
    this.verified = false;
    await nftDeleteTable(this.deps.runner);
  }

  markDown(): void {
    this.verified = false;
  }

  private async ensure(): Promise<void> {
    const { runner } = this.deps;
    const live = await nftListTableIfExists(runner);
    if (this.baseline !== null && live === this.baseline) return;
    if (this.baseline !== null) this.deps.logger.warn(`firewall drifted (${live === null ? 'table gone' : 'table changed'}): re-applying`);
    await nftApply(runner, this.ruleset);
    this.deps.metrics.firewallReapplies.inc();
    const applied = await nftListTableIfExists(runner);
    if (applied === null || !sameNftTableShape(this.rulesetShape, nftTableShape(applied))) {
      this.baseline = null;
      throw new Error('the live table does not match the applied ruleset');
    }
    this.baseline = applied;
  }
}
