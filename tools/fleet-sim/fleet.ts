import { randomBytes } from 'node:crypto';
import { AgentHost, AgentSettings, NodeApi, PulseBody, RegisterBody, RequestKind, SimAgent } from './agent';
import { JsonHttp, JsonReply, failureOf } from './http';
import { TimerHeap, spreadSlot } from './scheduler';
import { Meter, quantile } from './stats';

export interface FleetOptions {
  /** For the meter and logs. */
  name: string;
  nodes: number;
  /** Location ids the nodes are spread over, round-robin. */
  locations: readonly string[];
  /** config-service replicas' base URLs; node i talks to replica i mod count. */
  replicas: readonly string[];
  enrollmentToken: string;
  capacity: number;
  tunnelCidrV4: string;
  tunnelCidrV6?: string;
  /** node-daemon's RECONCILE_INTERVAL_SEC (its default is 30). */
  reconcileSec: number;
  /** node-daemon's BACKOFF_MAX_SEC (default 60). */
  backoffMaxSec: number;
  /** Registrations under way at once while enrolling. */
  enrollConcurrency: number;
  /** Keep-alive connections per replica the whole fleet shares. */
  socketsPerReplica: number;
  /** Per-request timeout (node-daemon's is 5 s). */
  timeoutMs: number;
}

/** The most loop runs one scheduler turn starts (the rest follow on the next turn). */
const MAX_RUNS_PER_TURN = 2_000;
/** The scheduler looks again at least this often. */
const MAX_SLEEP_MS = 50;

/**
 * N simulated node agents ({@link SimAgent}) in one process: one keep-alive HTTP client per
 * replica, one timer heap for every loop of every agent, and a meter of what each replica
 * answered (and how long requests waited for a connection here). Agents register at a bounded
 * concurrency, then their reconcile and pulse loops start at phases spread evenly over the
 * intervals (node i at i/N of the interval), so the replicas see a steady N / interval pulses
 * per second rather than waves.
 */
export class Fleet implements AgentHost {
  readonly agents: SimAgent[];
  readonly meter = new Meter();
  readonly api: NodeApi;
  private readonly byNodeId = new Map<string, SimAgent>();
  private readonly http: JsonHttp[];
  private readonly heap = new TimerHeap<{ agent: SimAgent; loop: 'pulse' | 'control' }>();
  private timer: NodeJS.Timeout | null = null;
  private pausedAt: number | null = null;
  private stopped = false;
  private startedAt = 0;
  private pending = 0;
  /** Called for every announced peer an agent applied. */
  onPeerAnnounced: ((publicKey: string, agent: SimAgent) => void) | null = null;
  /** Called once an agent has a node id (to route its announcements). */
  onRegistered: ((agent: SimAgent) => void) | null = null;

  constructor(readonly options: FleetOptions) {
    if (options.replicas.length === 0) throw new Error('fleet: no replica');
    if (options.locations.length === 0) throw new Error('fleet: no location');
    this.http = options.replicas.map(() => new JsonHttp(options.socketsPerReplica, options.timeoutMs));
    this.api = this.makeApi(this.http, true);
    const settings: AgentSettings = {
      capacity: options.capacity,
      tunnelCidrV4: options.tunnelCidrV4,
      ...(options.tunnelCidrV6 ? { tunnelCidrV6: options.tunnelCidrV6 } : {}),
      reconcileMs: options.reconcileSec * 1000,
      backoffBaseMs: 1000,
      backoffMaxMs: options.backoffMaxSec * 1000,
      version: 'fleet-sim',
    };
    this.agents = Array.from(
      { length: options.nodes },
      (_, i) => new SimAgent(i, randomBytes(32).toString('base64'), options.locations[i % options.locations.length] as string, i % options.replicas.length, settings, this),
    );
  }

  // ---- AgentHost ---------------------------------------------------------------------------------

  nowMs(): number {
    return performance.timeOrigin + performance.now();
  }

  random(): number {
    return Math.random();
  }

  schedule(agent: SimAgent, loop: 'pulse' | 'control', atMs: number): void {
    if (this.stopped) return;
    this.heap.push(atMs, { agent, loop });
    if (this.startedAt !== 0 && this.pausedAt === null && atMs <= this.heap.peek()) this.wake();
  }

  record(kind: RequestKind, replica: number, reply: JsonReply): void {
    const key = `${kind}@${replica}`;
    if ((reply.status >= 200 && reply.status < 300) || (kind === 'peers-304' && reply.status === 304)) {
      this.meter.success(key, reply.ms);
      this.meter.success(`queue:${key}`, reply.queuedMs);
    } else this.meter.failure(key, failureOf(reply));
  }

  peerAnnounced(publicKey: string, agent: SimAgent): void {
    this.onPeerAnnounced?.(publicKey, agent);
  }

  reconcileTriggered(why: string): void {
    this.meter.failure('reconcile-triggered', why);
  }

  // ---- the fleet ---------------------------------------------------------------------------------

  agentFor(nodeId: string): SimAgent | undefined {
    return this.byNodeId.get(nodeId);
  }

  get registeredCount(): number {
    return this.byNodeId.size;
  }

  /**
   * Registers every agent (`POST /nodes/register` only), `enrollConcurrency` at a time, bounded
   * by `deadlineMs`; their loops start with {@link start}. (A daemon reconciles and pulses right
   * after registering; the fleet does that at {@link start}, once the leases it should pull are
   * in place.)
   */
  async register(deadlineMs: number): Promise<{ registered: number; seconds: number }> {
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < this.agents.length && performance.now() - started < deadlineMs) {
        const agent = this.agents[next++] as SimAgent;
        if (await agent.register()) this.registered(agent);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.enrollConcurrency, this.agents.length) }, worker));
    return { registered: this.byNodeId.size, seconds: (performance.now() - started) / 1000 };
  }

  /** Notes an agent's node id (after it registered). */
  registered(agent: SimAgent): void {
    if (agent.nodeId === null || this.byNodeId.get(agent.nodeId) === agent) return;
    this.byNodeId.set(agent.nodeId, agent);
    this.onRegistered?.(agent);
  }

  /**
   * Starts every agent's loops as a daemon starts them — pull the peer set, then pulse — at evenly
   * spread moments over one pulse interval (node i at i/N, its pulse half an interval later); after
   * that, pulses every pulse interval and periodic reconciles at node i's phase i/N of the
   * reconcile interval. Keeping the phases (rather than node-daemon's "one interval after the
   * last run", which lets a slow start bunch the fleet up for good) keeps the load even; a loop
   * run that ends late skips to its next slot at least half an interval on, so an overloaded
   * replica still sees fewer requests. A node not registered yet registers first.
   */
  start(): void {
    if (this.startedAt !== 0) return;
    const t0 = this.nowMs();
    this.startedAt = t0;
    const n = this.agents.length;
    const reconcileMs = this.options.reconcileSec * 1000;
    for (const agent of this.agents) {
      // Its first pulse half an interval after its first pull. (node-daemon pulses at once on
      // registering; a pulse that answers before the first pull has landed finds no generation
      // applied and asks for a second pull — every node of a fleet started at once pulls twice.)
      const pulseAt = spreadSlot(t0, agent.index, n, agent.pulseIntervalMs) + agent.pulseIntervalMs / 2;
      agent.pulsePhaseMs = pulseAt;
      agent.reconcilePhaseMs = spreadSlot(t0, agent.index, n, reconcileMs);
      agent.startLoops(pulseAt, spreadSlot(t0, agent.index, n, agent.pulseIntervalMs));
    }
    this.wake();
  }

  /** Requests of the agents' loops under way now. */
  get inFlight(): number {
    return this.pending;
  }

  /**
   * Ends the loops' requests still under way or queued here (after {@link pause}: an overloaded
   * replica's backlog would otherwise be in the way of what comes next); the agents see network
   * failures and back off, as daemons would. Resolves how many there were.
   */
  abortInFlight(): number {
    return this.http.reduce((n, h) => n + h.abortAll(), 0);
  }

  /** Waits until no loop request is under way (after {@link pause}), bounded by `timeoutMs`; resolves how many still are. */
  async drained(timeoutMs: number): Promise<number> {
    const started = performance.now();
    while (this.pending > 0 && performance.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 50));
    return this.pending;
  }

  /** Stops starting loop runs (requests under way finish); {@link resume} moves every due time by the pause. */
  pause(): void {
    if (this.pausedAt !== null) return;
    this.pausedAt = this.nowMs();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  resume(): void {
    if (this.pausedAt === null) return;
    const paused = this.nowMs() - this.pausedAt;
    this.pausedAt = null;
    this.heap.shift(paused);
    for (const agent of this.agents) {
      agent.pulseDue += paused;
      agent.controlDue += paused;
    }
    this.wake();
  }

  /**
   * Pulses (or peer-set pulls) as fast as replica `replica` answers, `concurrency` at a time, from
   * every registered agent in turn (a load balancer may send any node to any replica), until
   * `durationMs` or `maxRequests`. The fleet's own loops should be paused meanwhile.
   */
  async saturate(
    what: 'pulse' | 'peers' | 'peers-304',
    replica: number,
    concurrency: number,
    durationMs: number,
    maxRequests: number,
  ): Promise<{ ok: number; failed: number; seconds: number; p50: number; p99: number }> {
    const ready = this.agents.filter((a) => a.registered && !a.decommissioned);
    if (ready.length === 0) throw new Error('saturate: no registered agent');
    // Connections of its own: nothing the loops left queued goes before it.
    const http = this.options.replicas.map(() => new JsonHttp(concurrency, this.options.timeoutMs));
    const api = this.makeApi(http, false);
    const started = performance.now();
    const times: number[] = [];
    let failed = 0;
    let sent = 0;
    let cursor = 0;
    const worker = async () => {
      while (sent < maxRequests && performance.now() - started < durationMs) {
        sent++;
        const agent = ready[cursor++ % ready.length] as SimAgent;
        const reply = await agent.extraRequest(what, replica, api);
        if (reply === null) continue;
        if (reply.status === (what === 'peers-304' ? 304 : 200)) times.push(reply.ms);
        // A conditional pull answered 200: the node's set moved on meanwhile (not a 304, not a failure).
        else if (!(what === 'peers-304' && reply.status === 200)) failed++;
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      for (const h of http) h.close();
    }
    const seconds = (performance.now() - started) / 1000;
    times.sort((a, b) => a - b);
    return { ok: times.length, failed, seconds, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
  }

  /** Stops every loop and closes the connections. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.heap.clear();
    for (const agent of this.agents) agent.stop();
    for (const h of this.http) h.close();
  }

  private wake(): void {
    if (this.stopped || this.pausedAt !== null) return;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(MAX_SLEEP_MS, this.heap.peek() - this.nowMs()));
    this.timer = setTimeout(() => this.turn(), wait);
  }

  private turn(): void {
    this.timer = null;
    if (this.stopped || this.pausedAt !== null) return;
    const now = this.nowMs();
    for (let runs = 0; runs < MAX_RUNS_PER_TURN && this.heap.peek() <= now; runs++) {
      const entry = this.heap.pop();
      if (!entry) break;
      const { agent, loop } = entry.item;
      // A later schedule of the same loop replaced this one.
      if ((loop === 'pulse' ? agent.pulseDue : agent.controlDue) !== entry.at) continue;
      void agent.run(loop).then(() => this.registered(agent));
    }
    this.wake();
  }

  private makeApi(http: JsonHttp[], counted: boolean): NodeApi {
    const url = (replica: number, path: string) => `${this.options.replicas[replica] as string}${path}`;
    const call = async (replica: number, method: 'GET' | 'POST', path: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
      if (counted) this.pending++;
      try {
        return await (http[replica] as JsonHttp).call(method, url(replica, path), { authorization: `Bearer ${token}`, ...headers }, body);
      } finally {
        if (counted) this.pending--;
      }
    };
    return {
      register: (replica: number, body: RegisterBody) => call(replica, 'POST', '/nodes/register', this.options.enrollmentToken, body),
      pulse: (replica: number, nodeId: string, nodeToken: string, body: PulseBody) => call(replica, 'POST', `/nodes/${encodeURIComponent(nodeId)}/pulse`, nodeToken, body),
      peers: (replica: number, nodeId: string, nodeToken: string, heldGeneration?: number) =>
        call(replica, 'GET', `/nodes/${encodeURIComponent(nodeId)}/peers`, nodeToken, undefined, heldGeneration === undefined ? {} : { 'if-none-match': `"${heldGeneration}"` }),
    };
  }
}
