import { Logger } from '@nestjs/common';
import type { Clock, DesiredPeer, PeersChangedEvent } from '@phoenix/common';
import {
  CommandRunner,
  cidrContainsCidr,
  diffPeers,
  dumpTransferTotals,
  gatewayAddress,
  ipAddrAdd,
  ipLinkAddWireGuard,
  ipLinkDelete,
  ipLinkExists,
  ipLinkSetMtu,
  ipLinkSetUp,
  isEmptyPeerDiff,
  isValidWireGuardKey,
  isWireGuardUnsupported,
  NftTableShape,
  nftApply,
  nftDeleteTable,
  nftListTableIfExists,
  nftTableShape,
  normalizeAllowedIps,
  parseCidr,
  PeerDiff,
  renderNftRuleset,
  sameNftTableShape,
  sysctlSet,
  wgApplyPeerDiff,
  WgDump,
  wgSetPrivateKey,
  wgShowDump,
} from '@phoenix/wireguard';
import { ControlPlane, ControlPlaneError, PulseRequest, Registration } from '../control-plane/control-plane';
import { Backoff } from './backoff';
import { NodeMetrics } from './node.metrics';
import { gatewayAddresses, NodeSettings } from './node-settings';
import { NodeKey, NodeSnapshot, NodeStore } from './node-state.store';
import { SerialQueue } from './periodic';
import { SystemStats } from './system-stats';
import { UserspaceWireGuard } from './wireguard-go.process';

export interface NodeDaemonDeps {
  runner: CommandRunner;
  controlPlane: ControlPlane;
  store: NodeStore;
  userspace: UserspaceWireGuard & { logTail?(): Promise<string> };
  clock: Clock;
  random: () => number;
  stats: SystemStats;
  metrics: NodeMetrics;
  logger?: Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;
}

type Implementation = 'kernel' | 'userspace';

/**
 * The node's decisions: bring the interface and firewall up and keep them so, register and
 * pulse, and make the interface's peers match the desired set — from config-service on start,
 * on a generation mismatch and every interval, and from announcements in between. All IO goes
 * through the injected adapters; every change to the interface runs under one lock, so an
 * announcement, a reconcile and a heal never interleave.
 *
 * Fail static: when config-service cannot be reached, nothing is removed — the peers last known
 * stay (and are restored from the state directory if the interface has to be recreated).
 */
export class NodeDaemon {
  /** Called when a reconcile against config-service should run now (missed announcement, generation mismatch). */
  onReconcileRequested: (reason: string) => void = () => undefined;
  /** Called once registered (the pulse loop can start). */
  onRegistered: () => void = () => undefined;
  /** Called once decommissioned (the loops stop). */
  onDecommissioned: () => void = () => undefined;

  private readonly logger: NonNullable<NodeDaemonDeps['logger']>;
  private readonly lock = new SerialQueue();
  private readonly controlBackoff: Backoff;
  private readonly pulseBackoff: Backoff;
  private readonly ruleset: string;
  private readonly rulesetShape: NftTableShape | null;
  private readonly addresses: string[];
  private readonly pools;

  private key: NodeKey | null = null;
  private registration: Registration | null = null;
  private nodeId: string | null = null;
  private generation: number | null = null;
  /** The desired peer set last learnt; `null` while unknown (then live peers are never touched). */
  private desired: Map<string, DesiredPeer> | null = null;
  private decommissioned = false;
  private implementation: Implementation | null = null;
  private firewallBaseline: string | null = null;
  private interfaceHealthy = false;
  private firewallHealthy = false;
  private forwardingEnabled = false;
  private olderGenerationSeen = 0;
  private controlPlaneDown = false;

  constructor(
    private readonly settings: NodeSettings,
    private readonly deps: NodeDaemonDeps,
  ) {
    this.logger = deps.logger ?? new Logger('NodeDaemon');
    this.controlBackoff = new Backoff(settings.backoffBaseMs, settings.backoffMaxMs, deps.random);
    this.pulseBackoff = new Backoff(settings.backoffBaseMs, settings.backoffMaxMs, deps.random);
    this.addresses = gatewayAddresses(settings);
    this.pools = [settings.tunnelCidrV4, ...(settings.tunnelCidrV6 ? [settings.tunnelCidrV6] : [])].map((p) => parseCidr(p));
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

  // ---- state, for health and tests ----------------------------------------------------------

  get publicKey(): string | null {
    return this.key?.publicKey ?? null;
  }

  get appliedGeneration(): number | null {
    return this.generation;
  }

  get registeredNodeId(): string | null {
    return this.registration?.id ?? null;
  }

  get isDecommissioned(): boolean {
    return this.decommissioned;
  }

  /** The interface is up with our key and the firewall is verified (always true with `WG_MODE=off`). */
  dataplaneHealthy(): boolean {
    if (this.decommissioned) return false;
    if (this.settings.mode === 'off') return true;
    return this.interfaceHealthy && this.firewallHealthy;
  }

  // ---- start and stop -------------------------------------------------------------------------

  /** Loads (or creates) the key and the remembered state. */
  async init(): Promise<void> {
    this.key = await this.deps.store.loadOrCreateKey();
    const snapshot = await this.deps.store.load();
    this.nodeId = snapshot.nodeId;
    this.generation = snapshot.generation;
    this.desired = snapshot.peers === null ? null : new Map(this.sanitize(snapshot.peers).map((p) => [p.publicKey, p]));
    this.decommissioned = snapshot.decommissioned;
    if (this.decommissioned) this.logger.warn('this node was decommissioned: the interface stays down (delete the state directory to enrol again)');
    if (this.settings.mode === 'off') this.logger.warn('WG_MODE=off: control plane only, the host network is not touched');
    this.logger.log(`node key loaded (public key ${this.key.publicKey})`);
  }

  /**
   * Graceful shutdown: waits for the change in progress and leaves the interface, its peers,
   * wireguard-go and the firewall exactly as they are, so users stay connected across a restart.
   */
  async shutdown(): Promise<void> {
    await this.lock.idle();
    if (!this.decommissioned && this.settings.mode !== 'off') this.logger.log(`stopping: ${this.settings.iface} and its peers stay up`);
  }

  // ---- local self-healing ---------------------------------------------------------------------

  /**
   * Makes sure the interface exists with our key, port and addresses (recreating it, and
   * wireguard-go, when gone), that the firewall is ours, and that the peers match the last
   * desired set known — without asking config-service, so this heals while it is down.
   */
  heal(): Promise<void> {
    return this.lock.run(async () => {
      if (this.decommissioned || this.settings.mode === 'off') return;
      try {
        await this.ensureInterface();
        this.interfaceHealthy = true;
      } catch (error) {
        this.interfaceHealthy = false;
        this.logger.error(`interface ${this.settings.iface} could not be brought up: ${messageOf(error)}`);
      }
      try {
        await this.ensureFirewall();
        this.firewallHealthy = true;
      } catch (error) {
        this.firewallHealthy = false;
        this.logger.error(`firewall could not be applied: ${messageOf(error)}`);
      }
      if (this.interfaceHealthy && this.desired !== null) await this.applyDesiredLocked();
    });
  }

  private async ensureInterface(): Promise<boolean> {
    const { runner } = this.deps;
    const key = this.requireKey();
    const dump = await this.tryDump();
    if (dump !== null) {
      if (this.implementation === null) this.implementation = await this.detectImplementation();
      if (dump.interface.publicKey !== key.publicKey || dump.interface.listenPort !== this.settings.listenPort) {
        this.logger.warn(`${this.settings.iface} had another key or port: setting ours`);
        await wgSetPrivateKey(runner, this.settings.iface, key.keyFile, this.settings.listenPort);
        await this.configureLink();
      }
      // An adopted interface (a daemon restart, or one wireguard-go brought up after our start timed
      // out) forwards nothing unless forwarding is on: make sure of it here too.
      await this.enableForwarding();
      return false;
    }

    // Gone or unusable: clear what is left of it, then create it afresh.
    if ((await this.deps.userspace.runningPid()) !== null) await this.deps.userspace.stop();
    if (await ipLinkExists(runner, this.settings.iface)) await ipLinkDelete(runner, this.settings.iface);
    this.implementation = await this.createLink();
    await wgSetPrivateKey(runner, this.settings.iface, key.keyFile, this.settings.listenPort);
    await this.configureLink();
    await this.enableForwarding();
    this.deps.metrics.interfaceRecreations.inc();
    this.logger.log(`interface ${this.settings.iface} created (${this.implementation === 'userspace' ? 'wireguard-go' : 'kernel module'})`);
    return true;
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
        this.logger.log('no WireGuard kernel module: using wireguard-go');
      }
    }
    await this.startUserspace();
    return 'userspace';
  }

  private async startUserspace(): Promise<void> {
    const pid = await this.deps.userspace.start();
    const deadline = this.deps.clock.nowMs() + this.settings.interfaceStartTimeoutMs;
    for (let i = 0; i < 1000; i++) {
      if ((await this.tryDump()) !== null) return;
      if ((await this.deps.userspace.runningPid()) === null) {
        const tail = (await this.deps.userspace.logTail?.()) ?? '';
        throw new Error(`wireguard-go (pid ${pid}) exited at start${tail ? `: ${tail}` : ''}`);
      }
      if (this.deps.clock.nowMs() >= deadline) break;
      await this.deps.clock.sleep(50);
    }
    await this.deps.userspace.stop();
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
      this.logger.warn(`could not enable IP forwarding (set it in sysctl.d): ${messageOf(error)}`);
    }
  }

  /**
   * Apply-then-verify (mullvad's model): the whole ruleset goes in atomically with `nft -f -`,
   * then the live table is listed and must have the rendered shape. Later runs compare the live
   * listing with the one taken then and re-apply on any drift.
   */
  private async ensureFirewall(): Promise<void> {
    const { runner } = this.deps;
    const live = await nftListTableIfExists(runner);
    if (this.firewallBaseline !== null && live === this.firewallBaseline) return;
    if (this.firewallBaseline !== null) this.logger.warn(`firewall drifted (${live === null ? 'table gone' : 'table changed'}): re-applying`);
    await nftApply(runner, this.ruleset);
    this.deps.metrics.firewallReapplies.inc();
    const applied = await nftListTableIfExists(runner);
    if (applied === null || !sameNftTableShape(this.rulesetShape, nftTableShape(applied))) {
      this.firewallBaseline = null;
      throw new Error('the live table does not match the applied ruleset');
    }
    this.firewallBaseline = applied;
  }

  // ---- peers ---------------------------------------------------------------------------------

  /** Makes the live peers equal the desired set (minus expired leases) with one batched `wg set`. */
  private async applyDesiredLocked(): Promise<PeerDiff | null> {
    if (this.settings.mode === 'off' || this.desired === null || this.decommissioned) return null;
    const now = this.deps.clock.nowMs();
    const wanted = [...this.desired.values()].filter((p) => !(Date.parse(p.expiresAt) <= now));
    const dump = await wgShowDump(this.deps.runner, this.settings.iface);
    const diff = diffPeers(wanted, dump.peers);
    this.deps.metrics.peers.set(wanted.length);
    if (isEmptyPeerDiff(diff)) return diff;
    await wgApplyPeerDiff(this.deps.runner, this.settings.iface, diff);
    const m = this.deps.metrics.peerChanges;
    if (diff.add.length) m.inc({ change: 'add' }, diff.add.length);
    if (diff.update.length) m.inc({ change: 'update' }, diff.update.length);
    if (diff.remove.length) m.inc({ change: 'remove' }, diff.remove.length);
    this.logger.log(`peers: +${diff.add.length} ~${diff.update.length} -${diff.remove.length} (now ${wanted.length})`);
    return diff;
  }

  /**
   * Keeps only peers the node can safely configure: a valid key, host routes inside this node's
   * pools (a peer claiming 0.0.0.0/0 would capture other clients' traffic), no key or address
   * claimed twice. Anything else is an upstream bug: dropped and logged, never fatal for the rest.
   */
  private sanitize(peers: readonly DesiredPeer[]): DesiredPeer[] {
    const keys = new Set<string>();
    const claimed = new Set<string>();
    const kept: DesiredPeer[] = [];
    let dropped = 0;
    for (const peer of peers) {
      try {
        if (!isValidWireGuardKey(peer.publicKey) || keys.has(peer.publicKey)) throw new Error('key');
        const ips = normalizeAllowedIps(peer.allowedIps);
        for (const ip of ips) {
          const cidr = parseCidr(ip);
          const host = cidr.prefix === (cidr.version === 4 ? 32 : 128);
          if (!host || !this.pools.some((pool) => cidrContainsCidr(pool, cidr)) || claimed.has(ip)) throw new Error('address');
        }
        keys.add(peer.publicKey);
        ips.forEach((ip) => claimed.add(ip));
        kept.push({ publicKey: peer.publicKey, allowedIps: ips, expiresAt: peer.expiresAt });
      } catch {
        dropped++;
      }
    }
    if (dropped > 0) this.logger.warn(`ignored ${dropped} desired peer(s) with an invalid key or addresses outside this node's pools`);
    return kept;
  }

  private async persist(): Promise<void> {
    const snapshot: NodeSnapshot = {
      nodeId: this.nodeId,
      generation: this.generation,
      peers: this.desired === null ? null : [...this.desired.values()],
      decommissioned: this.decommissioned,
    };
    try {
      await this.deps.store.save(snapshot);
    } catch (error) {
      this.logger.warn(`could not save state: ${messageOf(error)}`);
    }
  }

  // ---- control plane -------------------------------------------------------------------------

  /**
   * One round of the control loop: register if needed, then reconcile. Returns the wait before
   * the next round: the interval after a success, a jittered exponential backoff after a failure,
   * `Infinity` once decommissioned.
   */
  async controlStep(): Promise<number> {
    if (this.decommissioned) return Infinity;
    try {
      if (this.registration === null) await this.register();
      await this.reconcile();
      this.controlPlaneRecovered();
      return this.settings.reconcileIntervalMs;
    } catch (error) {
      return this.controlPlaneFailed(error, this.controlBackoff);
    }
  }

  /** Registers (idempotent on config-service's side: the same public key is the same node). */
  async register(): Promise<Registration> {
    const key = this.requireKey();
    const registration = await this.deps.controlPlane.register({
      publicKey: key.publicKey,
      endpoint: { host: this.settings.publicHost, port: this.settings.listenPort },
      location: this.settings.location,
      capacity: this.settings.capacity,
      tunnelCidrV4: this.settings.tunnelCidrV4,
      ...(this.settings.tunnelCidrV6 ? { tunnelCidrV6: this.settings.tunnelCidrV6 } : {}),
      ephemeral: this.settings.ephemeral,
      version: this.settings.version,
    });
    this.registration = registration;
    if (this.nodeId !== registration.id) {
      // Another identity (e.g. config-service's database was rebuilt): the old generation means nothing.
      if (this.nodeId !== null) this.generation = null;
      this.nodeId = registration.id;
      await this.persist();
    }
    this.logger.log(`registered as node ${registration.id} (pulse every ${registration.pulseIntervalSec} s)`);
    this.onRegistered();
    return registration;
  }

  /** Fetches the desired set from config-service and applies exactly the difference. */
  async reconcile(): Promise<void> {
    const registration = this.registration;
    if (registration === null) throw new Error('not registered');
    let state;
    try {
      state = await this.deps.controlPlane.desiredPeers(registration.id, registration.nodeToken);
    } catch (error) {
      this.deps.metrics.reconcileErrors.inc();
      throw error;
    }
    await this.lock.run(async () => {
      if (this.decommissioned) return;
      if (this.generation !== null && state.generation < this.generation) {
        // An announcement overtook this answer; apply the older set only when config-service
        // keeps saying so (it was rebuilt), never after a single race.
        if (++this.olderGenerationSeen < 2) return;
      }
      this.olderGenerationSeen = 0;
      try {
        if (this.settings.mode !== 'off') {
          await this.ensureInterface();
          this.interfaceHealthy = true;
        }
        this.desired = new Map(this.sanitize(state.peers).map((p) => [p.publicKey, p]));
        this.generation = state.generation;
        await this.applyDesiredLocked();
        await this.persist();
      } catch (error) {
        this.deps.metrics.reconcileErrors.inc();
        throw error;
      }
      this.deps.metrics.reconciles.inc();
      this.deps.metrics.lastReconcile.set(this.deps.clock.nowMs() / 1000);
      this.deps.metrics.generation.set(state.generation);
    });
  }

  /** One pulse; returns the wait before the next. A generation other than ours asks for a reconcile. */
  async pulseStep(): Promise<number> {
    if (this.decommissioned) return Infinity;
    const registration = this.registration;
    if (registration === null) return this.settings.reconcileIntervalMs;
    try {
      const { generation } = await this.deps.controlPlane.pulse(registration.id, registration.nodeToken, await this.pulseFigures());
      this.deps.metrics.pulses.inc({ outcome: 'ok' });
      this.pulseBackoff.reset();
      this.controlPlaneRecovered();
      if (generation !== this.generation) this.onReconcileRequested(`generation ${generation} announced, ${this.generation ?? 'none'} applied`);
      return registration.pulseIntervalSec * 1000;
    } catch (error) {
      this.deps.metrics.pulses.inc({ outcome: 'error' });
      return this.controlPlaneFailed(error, this.pulseBackoff);
    }
  }

  /** The pulse body: real figures from the interface and the host. */
  async pulseFigures(): Promise<PulseRequest> {
    const dump = this.settings.mode === 'off' ? null : await this.tryDump();
    const peers = dump?.peers.length ?? 0;
    const { rx, tx } = dump ? dumpTransferTotals(dump) : { rx: 0n, tx: 0n };
    const cpu = this.deps.stats.cpuPercent();
    const load = Math.min(100, Math.max(0, Math.round(Math.max((peers / this.settings.capacity) * 100, cpu))));
    this.deps.metrics.peers.set(peers);
    this.deps.metrics.rxBytes.set(Number(rx));
    this.deps.metrics.txBytes.set(Number(tx));
    return { load, peers, rxBytes: Number(rx), txBytes: Number(tx), cpu, healthy: this.dataplaneHealthy() };
  }

  private controlPlaneRecovered(): void {
    this.controlBackoff.reset();
    this.deps.metrics.controlPlaneUp.set(1);
    if (this.controlPlaneDown) this.logger.log('config-service reachable again');
    this.controlPlaneDown = false;
  }

  private async controlPlaneFailed(error: unknown, backoff: Backoff): Promise<number> {
    if (error instanceof ControlPlaneError) {
      if (error.failure === 'gone') {
        await this.decommission('config-service says this node is decommissioned');
        return Infinity;
      }
      if (error.failure === 'unauthorized' || error.failure === 'unknown-node') {
        if (this.registration !== null) this.logger.warn(`config-service no longer accepts this node's token (${error.message}): registering again`);
        this.registration = null;
        this.onReconcileRequested('registration needed');
      }
    }
    const wait = backoff.next();
    this.deps.metrics.controlPlaneUp.set(0);
    const peers = this.desired?.size ?? 0;
    const line = `control plane: ${messageOf(error)}; keeping the ${peers} known peer(s) as they are, retrying in ${(wait / 1000).toFixed(1)} s`;
    if (!this.controlPlaneDown) this.logger.warn(line);
    else this.logger.debug(line);
    this.controlPlaneDown = true;
    return wait;
  }

  // ---- announcements -------------------------------------------------------------------------

  /**
   * A `peers-changed` announcement. Applied at once when it is the next generation; a gap (a
   * missed announcement) asks for a reconcile instead; stale and foreign ones are ignored.
   */
  async onPeersChanged(event: PeersChangedEvent): Promise<void> {
    if (this.decommissioned || this.nodeId === null || event.nodeId !== this.nodeId) return;
    if (event.decommissioned) {
      await this.decommission('announced by config-service');
      return;
    }
    await this.lock.run(async () => {
      if (this.decommissioned) return;
      if (this.generation !== null && event.generation <= this.generation) return;
      if (this.generation === null || this.desired === null || event.generation !== this.generation + 1) {
        this.onReconcileRequested(`announcement ${event.generation} does not follow ${this.generation ?? 'none'}`);
        return;
      }
      for (const key of event.removed) this.desired.delete(key);
      for (const peer of this.sanitize(event.added)) this.desired.set(peer.publicKey, peer);
      this.generation = event.generation;
      this.deps.metrics.generation.set(event.generation);
      await this.persist();
      if (this.settings.mode !== 'off' && this.interfaceHealthy) await this.applyDesiredLocked();
    });
  }

  // ---- decommission --------------------------------------------------------------------------

  /** Shuts the interface (and wireguard-go) and removes the firewall table; remembered across restarts. */
  decommission(reason: string): Promise<void> {
    return this.lock.run(async () => {
      if (this.decommissioned) return;
      this.decommissioned = true;
      this.desired = null;
      this.generation = null;
      await this.persist();
      this.logger.warn(`decommissioned (${reason}): shutting ${this.settings.iface}`);
      if (this.settings.mode !== 'off') {
        try {
          await this.deps.userspace.stop();
          await ipLinkDelete(this.deps.runner, this.settings.iface);
          await nftDeleteTable(this.deps.runner);
        } catch (error) {
          this.logger.error(`decommission cleanup failed: ${messageOf(error)}`);
        }
      }
      this.interfaceHealthy = false;
      this.firewallHealthy = false;
      this.deps.metrics.peers.set(0);
      this.onDecommissioned();
    });
  }

  // ---- helpers -------------------------------------------------------------------------------

  private requireKey(): NodeKey {
    if (this.key === null) throw new Error('init() first');
    return this.key;
  }

  private async tryDump(): Promise<WgDump | null> {
    try {
      return await wgShowDump(this.deps.runner, this.settings.iface);
    } catch {
      return null;
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
