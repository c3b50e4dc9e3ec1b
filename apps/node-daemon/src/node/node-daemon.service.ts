import { Logger } from '@nestjs/common';
import type { Clock, PeersChangedEvent } from '@phoenix/common';
import { CommandRunner, parseCidr } from '@phoenix/wireguard';
import { ControlPlane, DesiredState, PulseRequest, Registration } from '../control-plane/control-plane';
import { ControlPlaneLoop } from './control-plane-loop';
import { Firewall } from './firewall';
import { messageOf, NodeLogger } from './log';
import { NodeMetrics } from './node.metrics';
import { NodeSettings } from './node-settings';
import { NodeState } from './node-state';
import { NodeKey, NodeStore } from './node-state.store';
import { PeerReconciler } from './peer-reconciler';
import { SerialQueue } from './periodic';
import { SystemStats } from './system-stats';
import { UserspaceWireGuard } from './wireguard-go.process';
import { WireGuardInterface } from './wireguard-interface';

export interface NodeDaemonDeps {
  runner: CommandRunner;
  controlPlane: ControlPlane;
  store: NodeStore;
  userspace: UserspaceWireGuard & { logTail?(): Promise<string> };
  clock: Clock;
  random: () => number;
  stats: SystemStats;
  metrics: NodeMetrics;
  logger?: NodeLogger;
}

/**
 * The node: brings the interface and firewall up and keeps them so, and keeps the interface's
 * peers matching the desired set — a full dump-and-diff on start, every interval and on a
 * generation mismatch; only the announced peers for an announcement of the next generation. The
 * work is done by collaborators that each own one thing — {@link WireGuardInterface},
 * {@link Firewall}, {@link PeerReconciler}, {@link NodeState} (what the node remembers) and
 * {@link ControlPlaneLoop} — and this class runs every change to the interface under one lock, so
 * an announcement, a reconcile, a heal and a decommission never interleave.
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

  private readonly logger: NodeLogger;
  private readonly lock = new SerialQueue();
  private readonly state: NodeState;
  private readonly iface: WireGuardInterface;
  private readonly firewall: Firewall;
  private readonly peers: PeerReconciler;
  private readonly control: ControlPlaneLoop;
  private key: NodeKey | null = null;

  constructor(
    private readonly settings: NodeSettings,
    private readonly deps: NodeDaemonDeps,
  ) {
    const logger = (this.logger = deps.logger ?? new Logger('NodeDaemon'));
    const { runner, metrics, clock } = deps;
    const pools = [settings.tunnelCidrV4, ...(settings.tunnelCidrV6 ? [settings.tunnelCidrV6] : [])].map((p) => parseCidr(p));
    this.state = new NodeState(deps.store, pools, logger);
    this.iface = new WireGuardInterface(settings, { runner, userspace: deps.userspace, clock, metrics, logger }, () => this.requireKey());
    this.firewall = new Firewall(settings, { runner, metrics, logger });
    this.peers = new PeerReconciler(settings.iface, { runner, clock, metrics, logger });
    this.control = new ControlPlaneLoop(
      settings,
      { controlPlane: deps.controlPlane, state: this.state, iface: this.iface, clock, random: deps.random, stats: deps.stats, metrics, logger },
      {
        publicKey: () => this.requireKey().publicKey,
        healthy: () => this.dataplaneHealthy(),
        applyDesired: (state, accept) => this.applyDesired(state, accept),
        reapplyHeld: () => this.reapplyHeld(),
        decommission: (reason) => this.decommission(reason),
        reconcileRequested: (reason) => this.onReconcileRequested(reason),
        registered: () => this.onRegistered(),
      },
    );
  }

  // ---- state, for health and tests ----------------------------------------------------------

  get publicKey(): string | null {
    return this.key?.publicKey ?? null;
  }

  get appliedGeneration(): number | null {
    return this.state.generation;
  }

  get registeredNodeId(): string | null {
    return this.control.registeredNodeId;
  }

  get isDecommissioned(): boolean {
    return this.state.decommissioned;
  }

  /** The interface is up with our key and the firewall is verified (always true with `WG_MODE=off`). */
  dataplaneHealthy(): boolean {
    if (this.state.decommissioned) return false;
    if (this.settings.mode === 'off') return true;
    return this.iface.healthy && this.firewall.healthy;
  }

  // ---- start and stop -------------------------------------------------------------------------

  /** Loads (or creates) the key and the remembered state (snapshot and journal). */
  async init(): Promise<void> {
    this.key = await this.deps.store.loadOrCreateKey();
    await this.state.restore();
    if (this.state.decommissioned) this.logger.warn('this node was decommissioned: the interface stays down (delete the state directory to enrol again)');
    if (this.settings.mode === 'off') this.logger.warn('WG_MODE=off: control plane only, the host network is not touched');
    this.logger.log(`node key loaded (public key ${this.key.publicKey})`);
  }

  /**
   * Graceful shutdown: waits for the change in progress and leaves the interface, its peers,
   * wireguard-go and the firewall exactly as they are, so users stay connected across a restart.
   */
  async shutdown(): Promise<void> {
    await this.lock.idle();
    await this.state.close();
    if (!this.state.decommissioned && this.settings.mode !== 'off') this.logger.log(`stopping: ${this.settings.iface} and its peers stay up`);
  }

  // ---- local self-healing ---------------------------------------------------------------------

  /**
   * Makes sure the interface exists with our key, port and addresses (recreating it, and
   * wireguard-go, when gone), that the firewall is ours, and that the peers match the last
   * desired set known — without asking config-service, so this heals while it is down.
   */
  heal(): Promise<void> {
    return this.lock.run(async () => {
      if (this.state.decommissioned || this.settings.mode === 'off') return;
      const dump = await this.iface.heal();
      await this.firewall.heal();
      const desired = this.state.desired;
      if (this.iface.healthy && desired !== null) await this.peers.applyAll(desired, dump);
    });
  }

  // ---- control plane ----------------------------------------------------------------------------

  controlStep(): Promise<number> {
    return this.control.controlStep();
  }

  register(): Promise<Registration> {
    return this.control.register();
  }

  reconcile(): Promise<void> {
    return this.control.reconcile();
  }

  pulseStep(): Promise<number> {
    return this.control.pulseStep();
  }

  pulseFigures(): Promise<PulseRequest> {
    return this.control.pulseFigures();
  }

  /** A desired set from config-service: the whole set replaces ours and the interface is diffed against it. */
  private applyDesired(fetched: DesiredState, accept: (applied: number | null) => boolean): Promise<boolean> {
    return this.lock.run(async () => {
      if (this.state.decommissioned || !accept(this.state.generation)) return false;
      const dump = this.settings.mode === 'off' ? null : await this.iface.ensure();
      const desired = await this.state.replace(fetched.peers, fetched.generation);
      if (this.settings.mode !== 'off') await this.peers.applyAll(desired, dump);
      return true;
    });
  }

  /** Config-service says the set held is current (`304`): the interface is diffed against it again. */
  private reapplyHeld(): Promise<boolean> {
    return this.lock.run(async () => {
      const desired = this.state.desired;
      if (this.state.decommissioned || desired === null) return false;
      if (this.settings.mode !== 'off') {
        const dump = await this.iface.ensure();
        await this.peers.applyAll(desired, dump);
      }
      return true;
    });
  }

  /** A reconcile that pulls the whole desired set, now (a missed announcement, Redis back after a loss). */
  requestReconcile(reason: string): void {
    this.control.requestFullPull();
    this.onReconcileRequested(reason);
  }

  // ---- announcements ----------------------------------------------------------------------------

  /**
   * A `peers-changed` announcement. When it is the next generation, just its peers are journalled
   * and set on the interface (no dump); a gap (a missed announcement) asks for a reconcile instead;
   * stale and foreign ones are ignored.
   */
  async onPeersChanged(event: PeersChangedEvent): Promise<void> {
    const { state } = this;
    if (state.decommissioned || state.nodeId === null || event.nodeId !== state.nodeId) return;
    if (event.decommissioned) {
      await this.decommission('announced by config-service');
      return;
    }
    await this.lock.run(async () => {
      if (state.decommissioned) return;
      const applied = state.generation;
      if (applied !== null && event.generation <= applied) return;
      const planned = applied === null || event.generation !== applied + 1 ? null : state.plan(event);
      if (planned === null) {
        this.requestReconcile(`announcement ${event.generation} does not follow ${applied ?? 'none'}`);
        return;
      }
      const desired = await state.record(planned);
      this.deps.metrics.generation.set(event.generation);
      if (this.settings.mode !== 'off' && this.iface.healthy) await this.peers.applyChange(planned, desired.size);
    });
  }

  // ---- decommission ----------------------------------------------------------------------------

  /** Shuts the interface (and wireguard-go) and removes the firewall table; remembered across restarts. */
  decommission(reason: string): Promise<void> {
    return this.lock.run(async () => {
      if (this.state.decommissioned) return;
      await this.state.decommission();
      this.logger.warn(`decommissioned (${reason}): shutting ${this.settings.iface}`);
      if (this.settings.mode !== 'off') {
        try {
          await this.iface.remove();
          await this.firewall.remove();
        } catch (error) {
          this.logger.error(`decommission cleanup failed: ${messageOf(error)}`);
        }
      }
      this.iface.markDown();
      this.firewall.markDown();
      this.deps.metrics.peers.set(0);
      this.onDecommissioned();
    });
  }

  private requireKey(): NodeKey {
    if (this.key === null) throw new Error('init() first');
    return this.key;
  }
}
