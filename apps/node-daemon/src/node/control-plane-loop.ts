import { dumpTransferTotals } from '@phoenix/wireguard';
import { ControlPlane, ControlPlaneError, DesiredState, NotModified, PulseRequest, Registration } from '../control-plane/control-plane';
import { Backoff } from './backoff';
import { messageOf, NodeLogger } from './log';
import { NodeMetrics } from './node.metrics';
import { NodeSettings } from './node-settings';
import { NodeState } from './node-state';
import { SystemStats } from './system-stats';
import { TenantTraffic } from './tenant-traffic';
import { WireGuardInterface } from './wireguard-interface';

/** What the loop asks of the node it drives. */
export interface ControlledNode {
  publicKey(): string;
  /** The data plane is in place (for the pulse). */
  healthy(): boolean;
  /**
   * Applies a desired set fetched from config-service, under the node's lock, if `accept` (given
   * the generation applied at that moment) agrees. Resolves false when nothing was applied.
   */
  applyDesired(state: DesiredState, accept: (applied: number | null) => boolean): Promise<boolean>;
  /**
   * Config-service answered `304` for the generation held: diffs the interface against the held
   * desired set again (a peer removed by hand comes back, expired ones go), under the node's lock.
   * Resolves false when there is no held set to apply (or the node is decommissioned).
   */
  reapplyHeld(): Promise<boolean>;
  decommission(reason: string): Promise<void>;
  /** A reconcile should run now (the loop's own trigger). */
  reconcileRequested(reason: string): void;
  registered(): void;
}

export interface ControlPlaneLoopDeps {
  controlPlane: ControlPlane;
  state: NodeState;
  iface: WireGuardInterface;
  clock: { nowMs(): number };
  random: () => number;
  stats: SystemStats;
  metrics: NodeMetrics;
  logger: NodeLogger;
}

/**
 * Of the periodic reconciles, every this many pulls the whole set even when the node holds the
 * current generation: a lease whose replica died between its commit and the generation bump is in
 * no announcement and moves no generation (config-service's NodeGenerations), and reaches the node
 * only by a full pull.
 */
export const FULL_PULL_EVERY = 10;

/**
 * The node's side of the control plane: register (and again when the token is refused), reconcile
 * against `GET /nodes/:id/peers`, pulse with real figures, and decide what a failure means —
 * decommissioned, register again, or fail static and back off with jitter.
 *
 * The periodic reconcile is a conditional pull (`If-None-Match` with the generation of the set the
 * node holds): a `304` costs config-service one generation read, and the node diffs its interface
 * against the set it holds. A reconcile asked for (a generation gap in a pulse or an announcement,
 * Redis back after a loss, a new registration) pulls the whole set, and so does every
 * {@link FULL_PULL_EVERY}-th periodic one.
 */
export class ControlPlaneLoop {
  private readonly controlBackoff: Backoff;
  private readonly pulseBackoff: Backoff;
  private registration: Registration | null = null;
  private olderGenerationSeen = 0;
  /** The next reconcile pulls the whole set (start, registration, a reconcile asked for). */
  private fullPullDue = true;
  /** Periodic reconciles answered `304` since the last whole set. */
  private notModifiedInARow = 0;
  private down = false;
  private readonly traffic = new TenantTraffic();

  constructor(
    private readonly settings: NodeSettings,
    private readonly deps: ControlPlaneLoopDeps,
    private readonly node: ControlledNode,
  ) {
    this.controlBackoff = new Backoff(settings.backoffBaseMs, settings.backoffMaxMs, deps.random);
    this.pulseBackoff = new Backoff(settings.backoffBaseMs, settings.backoffMaxMs, deps.random);
  }

  get registeredNodeId(): string | null {
    return this.registration?.id ?? null;
  }

  /**
   * One round of the control loop: register if needed, then reconcile. Returns the wait before
   * the next round: the interval after a success, a jittered exponential backoff after a failure,
   * `Infinity` once decommissioned.
   */
  async controlStep(): Promise<number> {
    if (this.deps.state.decommissioned) return Infinity;
    try {
      if (this.registration === null) await this.register();
      await this.reconcile(true);
      this.recovered();
      return this.settings.reconcileIntervalMs;
    } catch (error) {
      return this.failed(error, this.controlBackoff);
    }
  }

  /** Registers (idempotent on config-service's side: the same public key is the same node). */
  async register(): Promise<Registration> {
    const { settings } = this;
    const registration = await this.deps.controlPlane.register({
      publicKey: this.node.publicKey(),
      endpoint: { host: settings.publicHost, port: settings.listenPort },
      location: settings.location,
      capacity: settings.capacity,
      tunnelCidrV4: settings.tunnelCidrV4,
      ...(settings.tunnelCidrV6 ? { tunnelCidrV6: settings.tunnelCidrV6 } : {}),
      ephemeral: settings.ephemeral,
      version: settings.version,
      ...(settings.tenantId ? { tenantId: settings.tenantId } : {}),
    });
    this.registration = registration;
    this.fullPullDue = true;
    await this.deps.state.adoptNodeId(registration.id);
    this.deps.logger.log(`registered as node ${registration.id} (pulse every ${registration.pulseIntervalSec} s)`);
    this.node.registered();
    return registration;
  }

  /** The next reconcile pulls the whole desired set (a generation gap, Redis back after a loss). */
  requestFullPull(): void {
    this.fullPullDue = true;
  }

  /**
   * Fetches the desired set from config-service and has the node apply exactly the difference.
   * `periodic`: a conditional pull when the node holds a set (see the class comment).
   */
  async reconcile(periodic = false): Promise<void> {
    const registration = this.registration;
    if (registration === null) throw new Error('not registered');
    const { metrics } = this.deps;
    const held = periodic ? this.heldForConditionalPull() : undefined;
    const fullPullWasDue = this.fullPullDue;
    let answer: DesiredState | NotModified;
    try {
      answer = await this.deps.controlPlane.desiredPeers(registration.id, registration.nodeToken, held);
    } catch (error) {
      metrics.reconcileErrors.inc();
      throw error;
    }
    if ('notModified' in answer) {
      metrics.peerSetPulls.inc({ answer: 'not-modified' });
      this.notModifiedInARow++;
      let reapplied: boolean;
      try {
        reapplied = await this.node.reapplyHeld();
      } catch (error) {
        metrics.reconcileErrors.inc();
        throw error;
      }
      if (!reapplied) {
        // Nothing held after all (decommissioned meanwhile, or the state was lost): the whole set next.
        this.fullPullDue = true;
        return;
      }
      metrics.reconciles.inc();
      metrics.lastReconcile.set(this.deps.clock.nowMs() / 1000);
      return;
    }
    metrics.peerSetPulls.inc({ answer: 'full' });
    // Asked for again while this one was under way: the next one pulls fully too.
    if (this.fullPullDue === fullPullWasDue) this.fullPullDue = false;
    this.notModifiedInARow = 0;
    const state = answer;
    let applied: boolean;
    try {
      applied = await this.node.applyDesired(state, (current) => {
        if (current !== null && state.generation < current) {
          // An announcement overtook this answer; apply the older set only when config-service
          // keeps saying so (it was rebuilt), never after a single race.
          if (++this.olderGenerationSeen < 2) return false;
        }
        this.olderGenerationSeen = 0;
        return true;
      });
    } catch (error) {
      metrics.reconcileErrors.inc();
      throw error;
    }
    if (!applied) return;
    metrics.reconciles.inc();
    metrics.lastReconcile.set(this.deps.clock.nowMs() / 1000);
    metrics.generation.set(state.generation);
  }

  /** One pulse; returns the wait before the next. A generation other than ours asks for a reconcile. */
  async pulseStep(): Promise<number> {
    if (this.deps.state.decommissioned) return Infinity;
    const registration = this.registration;
    if (registration === null) return this.settings.reconcileIntervalMs;
    let figures: PulseRequest | undefined;
    try {
      figures = await this.pulseFigures();
      const { generation } = await this.deps.controlPlane.pulse(registration.id, registration.nodeToken, figures);
      this.deps.metrics.pulses.inc({ outcome: 'ok' });
      this.pulseBackoff.reset();
      this.recovered();
      const applied = this.deps.state.generation;
      if (generation !== applied) {
        this.fullPullDue = true;
        this.node.reconcileRequested(`generation ${generation} announced, ${applied ?? 'none'} applied`);
      }
      return registration.pulseIntervalSec * 1000;
    } catch (error) {
      this.deps.metrics.pulses.inc({ outcome: 'error' });
      // Tenant traffic of a pulse that did not arrive goes with the next one.
      if (figures?.tenantBytes && error instanceof ControlPlaneError && error.failure === 'unavailable' && (error.status === undefined || error.status >= 400)) {
        this.traffic.giveBack(figures.tenantBytes);
      }
      return this.failed(error, this.pulseBackoff);
    }
  }

  /** The pulse body: real figures from the interface and the host. */
  async pulseFigures(): Promise<PulseRequest> {
    const { metrics } = this.deps;
    const dump = this.settings.mode === 'off' ? null : await this.deps.iface.tryDump();
    const peers = dump?.peers.length ?? 0;
    const { rx, tx } = dump ? dumpTransferTotals(dump) : { rx: 0n, tx: 0n };
    const cpu = this.deps.stats.cpuPercent();
    const load = Math.min(100, Math.max(0, Math.round(Math.max((peers / this.settings.capacity) * 100, cpu))));
    metrics.peers.set(peers);
    metrics.rxBytes.set(Number(rx));
    metrics.txBytes.set(Number(tx));
    const desired = this.deps.state.desired;
    const tenantBytes = dump ? this.traffic.take(dump, (key) => desired?.get(key)?.tenantId) : [];
    return { load, peers, rxBytes: Number(rx), txBytes: Number(tx), cpu, healthy: this.node.healthy(), ...(tenantBytes.length > 0 ? { tenantBytes } : {}) };
  }

  /** The generation to send in `If-None-Match`, or undefined for a whole-set pull. */
  private heldForConditionalPull(): number | undefined {
    const { state } = this.deps;
    if (this.fullPullDue || state.generation === null || state.desired === null) return undefined;
    if (this.notModifiedInARow >= FULL_PULL_EVERY - 1) return undefined;
    return state.generation;
  }

  private recovered(): void {
    this.controlBackoff.reset();
    this.deps.metrics.controlPlaneUp.set(1);
    if (this.down) this.deps.logger.log('config-service reachable again');
    this.down = false;
  }

  private async failed(error: unknown, backoff: Backoff): Promise<number> {
    if (error instanceof ControlPlaneError) {
      if (error.failure === 'gone') {
        await this.node.decommission('config-service says this node is decommissioned');
        return Infinity;
      }
      // A refused node token: register again at once. A refused registration (a wrong or replaced
      // enrollment token, e.g. another tenant's) backs off like any failure: asking for a reconcile
      // there re-ran the registration at once, hundreds of times a second.
      if ((error.failure === 'unauthorized' || error.failure === 'unknown-node') && this.registration !== null) {
        this.deps.logger.warn(`config-service no longer accepts this node's token (${error.message}): registering again`);
        this.registration = null;
        this.fullPullDue = true;
        this.node.reconcileRequested('registration needed');
      }
    }
    const wait = backoff.next();
    this.deps.metrics.controlPlaneUp.set(0);
    const peers = this.deps.state.desired?.size ?? 0;
    const line = `control plane: ${messageOf(error)}; keeping the ${peers} known peer(s) as they are, retrying in ${(wait / 1000).toFixed(1)} s`;
    if (!this.down) this.deps.logger.warn(line);
    else this.deps.logger.debug(line);
    this.down = true;
    return wait;
  }
}
