import type { Clock } from '@phoenix/common';
import {
  CommandRunner,
  ipAddrAdd,
  ipLinkAddWireGuard,
  ipLinkDelete,
  ipLinkExists,
  ipLinkSetMtu,
  ipLinkSetUp,
  isWireGuardUnsupported,
  sysctlSet,
  WgDump,
  wgSetPrivateKey,
  wgShowDump,
} from '@phoenix/wireguard';
import { messageOf, NodeLogger } from './log';
import { NodeMetrics } from './node.metrics';
import { gatewayAddresses, NodeSettings } from './node-settings';
import { NodeKey } from './node-state.store';
import { UserspaceWireGuard } from './wireguard-go.process';

type Implementation = 'kernel' | 'userspace';

export interface WireGuardInterfaceDeps {
  runner: CommandRunner;
  userspace: UserspaceWireGuard & { logTail?(): Promise<string> };
  clock: Clock;
  metrics: NodeMetrics;
  logger: NodeLogger;
}

/**
 * The interface's lifecycle: adopt the one running (a daemon restart) or create it — kernel module
 * or wireguard-go — with our key, port, gateway addresses and MTU, up, with IP forwarding; and
 * delete it on decommission. Peers are not its business (see PeerReconciler).
 */
export class WireGuardInterface {
  private implementation: Implementation | null = null;
  private forwardingEnabled = false;
  private up = false;
  private readonly addresses: string[];

  constructor(
    private readonly settings: NodeSettings,
    private readonly deps: WireGuardInterfaceDeps,
    private readonly key: () => NodeKey,
  ) {
    this.addresses = gatewayAddresses(settings);
  }

  /** Up with our key, as far as the last check knew. */
  get healthy(): boolean {
    return this.up;
  }

  /** Like {@link ensure}, but a failure is logged and leaves the interface marked unhealthy. */
  async heal(): Promise<WgDump | null> {
    try {
      return await this.ensure();
    } catch (error) {
      this.up = false;
      this.deps.logger.error(`interface ${this.settings.iface} could not be brought up: ${messageOf(error)}`);
      return null;
    }
  }

  /**
   * Makes sure the interface exists with our key, port and addresses, recreating it (and
   * wireguard-go) when gone or unusable. Returns the dump taken when an existing interface was
   * adopted (its peers are as they were), `null` when it was created.
   */
  async ensure(): Promise<WgDump | null> {
    const { runner } = this.deps;
    const { iface, listenPort } = this.settings;
    const key = this.key();
    const dump = await this.tryDump();
    if (dump !== null) {
      if (this.implementation === null) this.implementation = await this.detectImplementation();
      if (dump.interface.publicKey !== key.publicKey || dump.interface.listenPort !== listenPort) {
        this.deps.logger.warn(`${iface} had another key or port: setting ours`);
        await wgSetPrivateKey(runner, iface, key.keyFile, listenPort);
        await this.configureLink();
      }
      // An adopted interface (a daemon restart, or one wireguard-go brought up after our start timed
      // out) forwards nothing unless forwarding is on: make sure of it here too.
      await this.enableForwarding();
      this.up = true;
      return dump;
    }

    // Gone or unusable: clear what is left of it, then create it afresh.
    if ((await this.deps.userspace.runningPid()) !== null) await this.deps.userspace.stop();
    if (await ipLinkExists(runner, iface)) await ipLinkDelete(runner, iface);
    this.implementation = await this.createLink();
    await wgSetPrivateKey(runner, iface, key.keyFile, listenPort);
    await this.configureLink();
    await this.enableForwarding();
    this.deps.metrics.interfaceRecreations.inc();
    this.deps.logger.log(`interface ${iface} created (${this.implementation === 'userspace' ? 'wireguard-go' : 'kernel module'})`);
    this.up = true;
    return null;
  }

  /** Stops wireguard-go and deletes the link (decommission). */
  async remove(): Promise<void> {
    this.up = false;
    await this.deps.userspace.stop();
    await ipLinkDelete(this.deps.runner, this.settings.iface);
  }

  /** Marks the interface down without touching it (decommission, whose cleanup may have failed). */
  markDown(): void {
    this.up = false;
  }

  /** `wg show <if> dump`, or null when the interface does not answer. */
  async tryDump(): Promise<WgDump | null> {
    try {
      return await wgShowDump(this.deps.runner, this.settings.iface);
    } catch {
      return null;
    }
  }

  private async detectImplementation(): Promise<Implementation> {
    if (this.settings.mode === 'kernel' || this.settings.mode === 'userspace') return this.settings.mode;
    return (await this.deps.userspace.runningPid()) !== null ? 'userspace' : 'kernel';
  }

  private async createLink(): Promise<Implementation> {
    const wanted = this.settings.mode === 'auto' ? this.implementation : this.settings.mode;
    if (wanted !== 'userspace') {
      try {
        await ipLinkAddWireGuard(this.deps.runner, this.settings.iface);
        return 'kernel';
      } catch (error) {
        if (wanted === 'kernel' || !isWireGuardUnsupported(error)) throw error;
        this.deps.logger.log('no WireGuard kernel module: using wireguard-go');
      }
    }
    await this.startUserspace();
    return 'userspace';
  }

  private async startUserspace(): Promise<void> {
    const { userspace, clock } = this.deps;
    const pid = await userspace.start();
    const deadline = clock.nowMs() + this.settings.interfaceStartTimeoutMs;
    for (let i = 0; i < 1000; i++) {
      if ((await this.tryDump()) !== null) return;
      if ((await userspace.runningPid()) === null) {
        const tail = (await userspace.logTail?.()) ?? '';
        throw new Error(`wireguard-go (pid ${pid}) exited at start${tail ? `: ${tail}` : ''}`);
      }
      if (clock.nowMs() >= deadline) break;
      await clock.sleep(50);
    }
    await userspace.stop();
    throw new Error(`wireguard-go did not bring up ${this.settings.iface} within ${this.settings.interfaceStartTimeoutMs} ms`);
  }

  private async configureLink(): Promise<void> {
    const { runner } = this.deps;
    for (const address of this.addresses) await ipAddrAdd(runner, this.settings.iface, address, { replace: true });
    await ipLinkSetMtu(runner, this.settings.iface, this.settings.mtu);
    await ipLinkSetUp(runner, this.settings.iface);
  }

  private async enableForwarding(): Promise<void> {
    if (this.forwardingEnabled) return;
    try {
      await sysctlSet(this.deps.runner, 'net.ipv4.ip_forward', '1');
      if (this.settings.tunnelCidrV6) await sysctlSet(this.deps.runner, 'net.ipv6.conf.all.forwarding', '1');
      this.forwardingEnabled = true;
    } catch (error) {
      this.deps.logger.warn(`could not enable IP forwarding (set it in sysctl.d): ${messageOf(error)}`);
    }
  }
}
