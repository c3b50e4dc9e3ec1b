import type { JsonReply } from './http';
import { nextSlot } from './scheduler';

/** `POST /nodes/register` body (API.md "Nodes"). */
export interface RegisterBody {
  publicKey: string;
  endpoint: { host: string; port: number };
  location: string;
  capacity: number;
  tunnelCidrV4: string;
  tunnelCidrV6?: string;
  ephemeral: boolean;
  version: string;
}

/** `POST /nodes/:id/pulse` body. */
export interface PulseBody {
  load: number;
  peers: number;
  rxBytes: number;
  txBytes: number;
  cpu: number;
  healthy: boolean;
}

/** A `network.node.peers-changed` announcement (the `data` of the Redis-transport packet). */
export interface PeersChanged {
  nodeId: string;
  generation: number;
  added: Array<{ publicKey: string; allowedIps: string[]; expiresAt: string }>;
  removed: string[];
  decommissioned?: boolean;
}

/** The control plane as an agent calls it: one replica by index, answers as they came. */
export interface NodeApi {
  register(replica: number, body: RegisterBody): Promise<JsonReply>;
  pulse(replica: number, nodeId: string, nodeToken: string, body: PulseBody): Promise<JsonReply>;
  /** With `heldGeneration`: a conditional pull (`If-None-Match: "<generation>"`), `304` when it is current. */
  peers(replica: number, nodeId: string, nodeToken: string, heldGeneration?: number): Promise<JsonReply>;
}

/**
 * node-daemon's rule (apps/node-daemon ControlPlaneLoop FULL_PULL_EVERY): of the periodic
 * reconciles, every this many pulls the whole set even when the generation held is current.
 */
export const FULL_PULL_EVERY = 10;

export type RequestKind = 'register' | 'pulse' | 'peers' | 'peers-304';

/** What the fleet gives each agent: the API, a clock, a scheduler, and hooks for what it measures. */
export interface AgentHost {
  readonly api: NodeApi;
  nowMs(): number;
  random(): number;
  /** Runs the agent's `loop` step at `atMs` (the latest call per agent and loop wins). */
  schedule(agent: SimAgent, loop: 'pulse' | 'control', atMs: number): void;
  /**
   * A request's outcome, for the meter (`kind` is register, pulse, peers — a whole set — or
   * peers-304, a conditional pull answered `304 Not Modified`).
   */
  record(kind: RequestKind, replica: number, reply: JsonReply): void;
  /** An announced peer reached this agent (for the redemption → node lag). */
  peerAnnounced(publicKey: string, agent: SimAgent): void;
  /** A reconcile was asked for outside the period, and why (for the meter). */
  reconcileTriggered(why: 'generation' | 'gap' | 'reconnect' | 'registration'): void;
}

export interface AgentSettings {
  capacity: number;
  tunnelCidrV4: string;
  tunnelCidrV6?: string;
  reconcileMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  version: string;
}

/**
 * One simulated node-daemon, control plane only (WG_MODE=off, no WireGuard): the same loops and
 * decisions as apps/node-daemon's ControlPlaneLoop, NodeDaemon.onPeersChanged and NodeLifecycle —
 *  - control loop: register when it has no registration, then `GET /nodes/:id/peers` and apply
 *    the set; again every reconcile interval, at once when triggered (a pulse answering another
 *    generation, an announcement that does not follow, Redis reconnecting). A periodic reconcile
 *    sends `If-None-Match` with the generation held, and a `304` keeps the set (every
 *    {@link FULL_PULL_EVERY}-th periodic one pulls the whole set); a triggered one pulls it whole;
 *  - pulse loop: every `pulseIntervalSec` the registration gave, with figures from its peer set;
 *  - announcements: its own node's next generation is applied (added/removed), a gap asks for a
 *    reconcile, older ones are ignored, `decommissioned` stops it;
 *  - failures: 401/404 → register again, 410 → decommissioned, anything else → jittered
 *    exponential backoff (fail static: the peer set stays).
 * Its "interface" is the peer set in memory; load and CPU figures are derived from its size.
 */
export class SimAgent {
  nodeId: string | null = null;
  private nodeToken = '';
  pulseIntervalMs = 30_000;
  /** The generation of the peer set held (null before the first reconcile). */
  generation: number | null = null;
  readonly peers = new Set<string>();
  decommissioned = false;
  /** When the last full peer set was applied (host clock ms). */
  reconciledAt = 0;
  /**
   * When set, periodic reconciles keep to this phase of the reconcile interval (at least half an
   * interval after the last one), so a fleet's pulls stay spread evenly whatever its start; null:
   * one interval after the last run, as node-daemon's Periodic.
   */
  reconcilePhaseMs: number | null = null;
  /** The same for pulses (of the pulse interval). */
  pulsePhaseMs: number | null = null;
  /** Due times of the loops' scheduled runs (the scheduler drops runs that no longer match). */
  pulseDue = Number.POSITIVE_INFINITY;
  controlDue = Number.POSITIVE_INFINITY;
  private lastFailure: JsonReply | null = null;
  private controlRunning = false;
  private controlAgain = false;
  private pulseRunning = false;
  private olderSeen = 0;
  /** The next reconcile pulls the whole set (start, registration, a triggered reconcile). */
  private fullPullDue = true;
  /** Periodic reconciles answered `304` since the last whole set. */
  private notModifiedInARow = 0;
  private controlFailures = 0;
  private pulseFailures = 0;
  private rxBytes = 0;
  private txBytes = 0;
  private lastPulseAt = 0;
  /** The node's idle CPU share (percent), fixed per agent, so nodes differ as real hosts do. */
  private readonly idleCpu: number;

  constructor(
    readonly index: number,
    readonly publicKey: string,
    readonly location: string,
    /** The replica this node's requests go to (a load balancer's stickiness, by index). */
    readonly replica: number,
    private readonly settings: AgentSettings,
    private readonly host: AgentHost,
  ) {
    this.idleCpu = 1 + host.random() * 4;
  }

  get registered(): boolean {
    return this.nodeId !== null;
  }

  /** `POST /nodes/register` (the first thing a daemon does); resolves whether it is registered. */
  async register(): Promise<boolean> {
    if (this.decommissioned) return false;
    const reply = await this.host.api.register(this.replica, this.registerBody());
    this.host.record('register', this.replica, reply);
    const body = reply.body as { id?: unknown; nodeToken?: unknown; pulseIntervalSec?: unknown } | null;
    if ((reply.status !== 200 && reply.status !== 201) || typeof body?.id !== 'string' || typeof body.nodeToken !== 'string' || typeof body.pulseIntervalSec !== 'number') {
      this.lastFailure = reply;
      return false;
    }
    this.nodeId = body.id;
    this.nodeToken = body.nodeToken;
    this.fullPullDue = true;
    this.pulseIntervalMs = body.pulseIntervalSec * 1000;
    return true;
  }

  /** Starts both loops at the given times (the fleet spreads them evenly over the intervals). */
  startLoops(pulseAtMs: number, controlAtMs: number): void {
    this.schedulePulse(pulseAtMs);
    this.scheduleControl(controlAtMs);
  }

  /** A reconcile should run now (or right after the one under way). */
  requestReconcile(): void {
    if (this.decommissioned) return;
    this.fullPullDue = true;
    if (this.controlRunning) {
      this.controlAgain = true;
      return;
    }
    this.scheduleControl(this.host.nowMs());
  }

  /** The scheduler runs a loop whose due time came. */
  async run(loop: 'pulse' | 'control'): Promise<void> {
    if (this.decommissioned) return;
    if (loop === 'pulse') {
      if (this.pulseRunning) return;
      this.pulseRunning = true;
      let next: number;
      try {
        next = await this.pulseStep();
      } finally {
        this.pulseRunning = false;
      }
      const now = this.host.nowMs();
      if (this.pulsePhaseMs !== null && next === this.pulseIntervalMs) next = nextSlot(this.pulsePhaseMs, next, now + next / 2) - now;
      this.schedulePulse(now + next);
      return;
    }
    if (this.controlRunning) return;
    this.controlRunning = true;
    let next: number;
    try {
      next = await this.controlStep();
    } finally {
      this.controlRunning = false;
    }
    const now = this.host.nowMs();
    if (this.controlAgain) {
      this.controlAgain = false;
      next = 0;
    } else if (this.reconcilePhaseMs !== null && next === this.settings.reconcileMs) {
      next = nextSlot(this.reconcilePhaseMs, next, now + next / 2) - now;
    }
    this.scheduleControl(now + next);
  }

  /** One round of the control loop; returns the wait before the next. */
  async controlStep(): Promise<number> {
    if (this.decommissioned) return Number.POSITIVE_INFINITY;
    if (this.nodeId === null && !(await this.register())) return this.failed(this.lastFailure as JsonReply, 'control');
    const held = this.fullPullDue || this.generation === null || this.notModifiedInARow >= FULL_PULL_EVERY - 1 ? undefined : this.generation;
    // A trigger while this pull is under way asks for a whole set again.
    if (held === undefined) this.fullPullDue = false;
    const reply = await this.host.api.peers(this.replica, this.nodeId as string, this.nodeToken, held);
    if (held !== undefined && reply.status === 304) {
      // The set held is current: node-daemon diffs its interface against it; here it is the interface.
      this.host.record('peers-304', this.replica, reply);
      this.notModifiedInARow++;
      this.reconciledAt = this.host.nowMs();
      this.controlFailures = 0;
      return this.settings.reconcileMs;
    }
    this.host.record('peers', this.replica, reply);
    const body = reply.body as { generation?: unknown; peers?: unknown } | null;
    if (reply.status !== 200 || typeof body?.generation !== 'number' || !Array.isArray(body.peers)) {
      if (held === undefined) this.fullPullDue = true;
      return this.failed(reply, 'control');
    }
    this.notModifiedInARow = 0;
    this.applySet(body.generation, body.peers as Array<{ publicKey: string }>);
    this.controlFailures = 0;
    return this.settings.reconcileMs;
  }

  /** One pulse; returns the wait before the next. */
  async pulseStep(): Promise<number> {
    if (this.decommissioned) return Number.POSITIVE_INFINITY;
    if (this.nodeId === null) return this.settings.reconcileMs;
    const reply = await this.host.api.pulse(this.replica, this.nodeId, this.nodeToken, this.pulseFigures());
    this.host.record('pulse', this.replica, reply);
    const generation = (reply.body as { generation?: unknown } | null)?.generation;
    if (reply.status !== 200 || typeof generation !== 'number') return this.failed(reply, 'pulse');
    this.pulseFailures = 0;
    if (generation !== this.generation) {
      this.host.reconcileTriggered('generation');
      this.requestReconcile();
    }
    return this.pulseIntervalMs;
  }

  /** Figures as a node would report them: peers held, CPU growing with them, transfer counters. */
  pulseFigures(): PulseBody {
    const now = this.host.nowMs();
    const peers = this.peers.size;
    const seconds = this.lastPulseAt === 0 ? 0 : (now - this.lastPulseAt) / 1000;
    this.lastPulseAt = now;
    // About 2 KB/s up and 20 KB/s down per connected peer, as counters (what `wg show dump` sums).
    this.rxBytes += Math.round(peers * seconds * 2_000);
    this.txBytes += Math.round(peers * seconds * 20_000);
    const cpu = Math.min(100, Math.round((this.idleCpu + peers * 0.02 + this.host.random()) * 10) / 10);
    const load = Math.min(100, Math.max(0, Math.round(Math.max((peers / this.settings.capacity) * 100, cpu))));
    return { load, peers, rxBytes: this.rxBytes, txBytes: this.txBytes, cpu, healthy: true };
  }

  /** A `peers-changed` announcement (any node's: others are ignored, as a daemon does). */
  onAnnouncement(event: PeersChanged): void {
    if (this.decommissioned || this.nodeId === null || event.nodeId !== this.nodeId) return;
    if (event.decommissioned) {
      this.decommission();
      return;
    }
    const applied = this.generation;
    if (applied !== null && event.generation <= applied) return;
    if (applied === null || event.generation !== applied + 1) {
      this.host.reconcileTriggered('gap');
      this.requestReconcile();
      return;
    }
    for (const key of event.removed) this.peers.delete(key);
    for (const peer of event.added) {
      this.peers.add(peer.publicKey);
      this.host.peerAnnounced(peer.publicKey, this);
    }
    this.generation = event.generation;
  }

  /** Redis came back after a loss: announcements may have been missed. */
  onReconnect(): void {
    this.host.reconcileTriggered('reconnect');
    this.requestReconcile();
  }

  /** Stops both loops (the fleet is shutting down, or the node was decommissioned). */
  stop(): void {
    this.decommissioned = true;
    this.pulseDue = Number.POSITIVE_INFINITY;
    this.controlDue = Number.POSITIVE_INFINITY;
  }

  /**
   * A pulse or a peer-set pull outside the loops (a saturation run), to any replica; only its
   * reply is reported, nothing is applied.
   */
  /** `peers-304`: a conditional pull naming the generation held (`304` while it is current). */
  async extraRequest(what: 'pulse' | 'peers' | 'peers-304', replica: number, api: NodeApi): Promise<JsonReply | null> {
    if (this.nodeId === null || this.decommissioned) return null;
    if (what === 'pulse') return api.pulse(replica, this.nodeId, this.nodeToken, this.pulseFigures());
    if (what === 'peers-304') return this.generation === null ? null : api.peers(replica, this.nodeId, this.nodeToken, this.generation);
    return api.peers(replica, this.nodeId, this.nodeToken);
  }

  private applySet(generation: number, peers: Array<{ publicKey: string }>): void {
    const current = this.generation;
    if (current !== null && generation < current) {
      // An announcement overtook this answer; take the older set only when config-service says
      // so twice (it was rebuilt), never after a single race (node-daemon's rule).
      if (++this.olderSeen < 2) return;
    }
    this.olderSeen = 0;
    this.peers.clear();
    for (const p of peers) this.peers.add(p.publicKey);
    this.generation = generation;
    this.reconciledAt = this.host.nowMs();
  }

  private failed(reply: JsonReply, loop: 'pulse' | 'control'): number {
    if (reply.status === 410) {
      this.decommission();
      return Number.POSITIVE_INFINITY;
    }
    if (reply.status === 401 || reply.status === 404) {
      this.nodeId = null;
      if (loop === 'pulse') {
        this.host.reconcileTriggered('registration');
        this.requestReconcile();
      }
    }
    const attempt = loop === 'pulse' ? ++this.pulseFailures : ++this.controlFailures;
    const capped = Math.min(this.settings.backoffBaseMs * 2 ** Math.min(attempt - 1, 16), this.settings.backoffMaxMs);
    return capped * (0.5 + this.host.random() / 2);
  }

  private decommission(): void {
    this.stop();
    this.peers.clear();
  }

  private schedulePulse(atMs: number): void {
    if (this.decommissioned || !Number.isFinite(atMs)) return;
    this.pulseDue = atMs;
    this.host.schedule(this, 'pulse', atMs);
  }

  private scheduleControl(atMs: number): void {
    if (this.decommissioned || !Number.isFinite(atMs)) return;
    this.controlDue = atMs;
    this.host.schedule(this, 'control', atMs);
  }

  private registerBody(): RegisterBody {
    const i = this.index;
    return {
      publicKey: this.publicKey,
      // RFC 2544's benchmarking range: addresses no real node has.
      endpoint: { host: `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`, port: 51820 },
      location: this.location,
      capacity: this.settings.capacity,
      tunnelCidrV4: this.settings.tunnelCidrV4,
      ...(this.settings.tunnelCidrV6 ? { tunnelCidrV6: this.settings.tunnelCidrV6 } : {}),
      ephemeral: false,
      version: this.settings.version,
    };
  }
}
