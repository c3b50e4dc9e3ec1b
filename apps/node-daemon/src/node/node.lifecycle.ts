import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { PeerEvents } from '../control-plane/control-plane';
import { NodeDaemon } from './node-daemon.service';
import { NodeSettings } from './node-settings';
import { Periodic } from './periodic';

export const NODE_SETTINGS = Symbol('NODE_SETTINGS');
export const PEER_EVENTS = Symbol('PEER_EVENTS');

/**
 * Drives the {@link NodeDaemon}: three loops (local heal every interval, control plane —
 * register and reconcile — every interval or after a backoff, pulse every pulse interval) and
 * the announcement subscription. On shutdown it stops them and leaves the data plane running.
 *
 * These loops stay here and not in job-worker (STYLE.md "Time-driven work"): they are not work on
 * data a service owns but this node's own heartbeat and self-healing. The node runs on a VPN server
 * outside the cluster, job-worker cannot reach it, and a node must heal and keep pulsing whether
 * or not anything else is up.
 */
@Injectable()
export class NodeLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('NodeLifecycle');
  private readonly heal: Periodic;
  private readonly control: Periodic;
  private readonly pulse: Periodic;

  constructor(
    private readonly daemon: NodeDaemon,
    @Inject(NODE_SETTINGS) private readonly settings: NodeSettings,
    @Optional() @Inject(PEER_EVENTS) private readonly events: PeerEvents | null,
  ) {
    const interval = settings.reconcileIntervalMs;
    const logged = (what: string) => (error: unknown) => {
      this.logger.error(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      return interval;
    };
    this.heal = new Periodic(async () => {
      if (daemon.isDecommissioned) return Infinity;
      await daemon.heal();
      return interval;
    }, logged('heal'));
    this.control = new Periodic(() => daemon.controlStep(), logged('control loop'));
    this.pulse = new Periodic(() => daemon.pulseStep(), logged('pulse'));
  }

  async onApplicationBootstrap(): Promise<void> {
    const { daemon } = this;
    daemon.onReconcileRequested = (reason) => {
      this.logger.log(`reconcile requested: ${reason}`);
      this.control.trigger();
    };
    daemon.onRegistered = () => {
      this.pulse.trigger();
      // This node's announcement channel (again after a registration that gave another id).
      const id = daemon.registeredNodeId;
      if (id !== null) this.events?.follow(id);
    };
    daemon.onDecommissioned = () => void this.stopLoops();
    await daemon.init();
    // Interface, firewall and the remembered peers first: users are served before (and even
    // without) config-service answering.
    await daemon.heal();
    this.heal.start(this.settings.reconcileIntervalMs);
    this.control.start(0);
    this.pulse.start(this.settings.reconcileIntervalMs);
    this.events?.start(
      (event) => void daemon.onPeersChanged(event).catch((error: Error) => this.logger.error(`announcement failed: ${error.message}`)),
      () => daemon.requestReconcile('peer announcements reconnected'),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopLoops();
    await this.events?.close();
    await this.daemon.shutdown();
  }

  private async stopLoops(): Promise<void> {
    await Promise.all([this.heal.stop(), this.control.stop(), this.pulse.stop()]);
  }
}
