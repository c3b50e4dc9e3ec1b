import { fail } from './assert';
import { WireGuardErrorCode } from './errors';
import { randomUnit, RandomSource } from './random';

/** What node selection needs to know about a node. `load` and `activeLeases` are as of `lastPulseAt`. */
export interface NodeCandidate {
  readonly id: string;
  readonly location: string;
  readonly healthy: boolean;
  readonly draining: boolean;
  /** Most leases the node should hold. */
  readonly capacity: number;
  /** Leases the node reported at its last pulse. */
  readonly activeLeases: number;
  /** Load the node reported at its last pulse, 0–100. */
  readonly load: number;
  /** Epoch milliseconds of the last pulse. */
  readonly lastPulseAt: number;
  readonly pulseIntervalSec: number;
  /** Leases handed to this node since `lastPulseAt` (not yet reflected in `load`/`activeLeases`). */
  readonly assignedSinceLastPulse: number;
  /** Epoch milliseconds when the node came back from unhealthy; absent if it never left. */
  readonly recoveredAt?: number;
}

/** Options of {@link selectNode}. */
export interface SelectNodeOptions {
  /** Epoch milliseconds (inject the clock). */
  readonly now: number;
  /** A location code, or `'auto'` for any location. */
  readonly location: string;
  readonly random: RandomSource;
  /** How long a recovered node takes to reach full weight. Default 10 minutes. */
  readonly rampWindowMs?: number;
  /** Weight of a node at the instant it recovers, in (0, 1]. Default 0.05. */
  readonly minRampWeight?: number;
  /** A node whose last pulse is older than this many intervals is treated as dead. Default 3. */
  readonly maxMissedPulses?: number;
}

export const DEFAULT_RAMP_WINDOW_MS = 10 * 60_000;
export const DEFAULT_MIN_RAMP_WEIGHT = 0.05;
export const DEFAULT_MAX_MISSED_PULSES = 3;

function finite(value: number): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * True when `node` may take a new lease: healthy, not draining, pulsed within `maxMissedPulses`
 * intervals, under capacity counting assignments since the pulse, and in the requested location.
 */
export function isNodeEligible(node: NodeCandidate, options: Pick<SelectNodeOptions, 'now' | 'location' | 'maxMissedPulses'>): boolean {
  const maxMissed = options.maxMissedPulses ?? DEFAULT_MAX_MISSED_PULSES;
  if (!node.healthy || node.draining) return false;
  if (options.location !== 'auto' && node.location !== options.location) return false;
  if (![node.capacity, node.activeLeases, node.load, node.lastPulseAt, node.pulseIntervalSec, node.assignedSinceLastPulse].every(finite)) {
    return false;
  }
  if (node.capacity <= 0 || node.pulseIntervalSec <= 0) return false;
  if (options.now - node.lastPulseAt > maxMissed * node.pulseIntervalSec * 1000) return false;
  return node.activeLeases + Math.max(0, node.assignedSinceLastPulse) < node.capacity;
}

/**
 * How far a recovered node is through its ramp, in [minRampWeight, 1]; 1 for a node that never
 * recovered or finished ramping. Linear in time since `recoveredAt`.
 */
export function rampFactor(node: Pick<NodeCandidate, 'recoveredAt'>, now: number, options: Pick<SelectNodeOptions, 'rampWindowMs' | 'minRampWeight'> = {}): number {
  const window = options.rampWindowMs ?? DEFAULT_RAMP_WINDOW_MS;
  const floor = options.minRampWeight ?? DEFAULT_MIN_RAMP_WEIGHT;
  if (node.recoveredAt === undefined || !finite(node.recoveredAt) || window <= 0) return 1;
  const progress = (now - node.recoveredAt) / window;
  return Math.min(1, Math.max(floor, progress));
}

/**
 * A node's effective load, lower is better; about 1 means full.
 *
 * The pulse values are stale by up to one interval, and every replica of config-service reads the
 * same snapshot: if the least-loaded node stayed least loaded until its next pulse, all replicas
 * would herd onto it. So each assignment made since the pulse is counted as one more lease and as
 * 1/capacity more load. A ramping node is scored against a capacity scaled by its ramp factor, so
 * it fills up proportionally instead of taking everything at once.
 */
export function effectiveLoad(node: NodeCandidate, now: number, options: Pick<SelectNodeOptions, 'rampWindowMs' | 'minRampWeight'> = {}): number {
  const assigned = Math.max(0, node.assignedSinceLastPulse);
  const ramp = rampFactor(node, now, options);
  const leaseUtilization = (node.activeLeases + assigned) / (node.capacity * ramp);
  const reportedLoad = Math.min(100, Math.max(0, node.load)) / 100;
  return Math.max(leaseUtilization, reportedLoad + assigned / node.capacity);
}

function pickWeighted<T>(items: readonly T[], weights: readonly number[], total: number, random: RandomSource): number {
  let target = randomUnit(random) * total;
  for (let i = 0; i < items.length; i++) {
    target -= weights[i] as number;
    if (target < 0) return i;
  }
  return items.length - 1; // float rounding at the very top of the range
}

/** @throws {WireGuardError} INVALID_ARGUMENT for a bad `now`, `location` or ramp option */
function checkOptions(options: SelectNodeOptions): void {
  if (!finite(options.now)) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'now must be a finite number of milliseconds');
  if (typeof options.location !== 'string' || options.location === '') {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, 'location must be a location code or "auto"');
  }
  const floor = options.minRampWeight ?? DEFAULT_MIN_RAMP_WEIGHT;
  if (!(floor > 0 && floor <= 1)) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'minRampWeight must be in (0, 1]');
}

/**
 * Chooses a node for a new lease by "power of two choices": draw two distinct eligible nodes at
 * random (weighted by ramp factor, so a just-recovered node is rarely drawn at first) and keep the
 * one with the lower {@link effectiveLoad}. Two random candidates instead of the global minimum
 * means replicas acting on the same snapshot spread out instead of all picking the same node.
 *
 * @returns the chosen node (the same object), or `null` when no node is eligible
 * @throws {WireGuardError} INVALID_ARGUMENT for a bad `now`, `location` or ramp option
 * @example selectNode(nodes, { now: clock.now(), location: 'auto', random: randomBytes })
 */
export function selectNode<T extends NodeCandidate>(nodes: readonly T[], options: SelectNodeOptions): T | null {
  checkOptions(options);

  const eligible = nodes.filter((node) => isNodeEligible(node, options));
  if (eligible.length <= 1) return eligible[0] ?? null;

  const weights = eligible.map((node) => rampFactor(node, options.now, options));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const firstIndex = pickWeighted(eligible, weights, total, options.random);

  const restNodes = eligible.filter((_, i) => i !== firstIndex);
  const restWeights = weights.filter((_, i) => i !== firstIndex);
  const restTotal = total - (weights[firstIndex] as number);
  const first = eligible[firstIndex] as T;
  const second = restNodes[pickWeighted(restNodes, restWeights, restTotal, options.random)] as T;

  // Ties keep the first draw, which is itself random, so equal nodes share evenly.
  return effectiveLoad(second, options.now, options) < effectiveLoad(first, options.now, options) ? second : first;
}

/** What is known of a node before its hot state (last pulse, assignments since) is read: its row. */
export type NodeRowFacts = Pick<NodeCandidate, 'location' | 'healthy' | 'draining' | 'capacity' | 'pulseIntervalSec' | 'recoveredAt'>;

/**
 * {@link selectNode} for locations of many nodes: the same choice — two distinct eligible nodes
 * drawn at random weighted by ramp factor, the one with the lower {@link effectiveLoad} kept — but
 * reading the hot state of only the nodes it draws, not of every node. Rows that cannot be
 * eligible whatever their hot state (unhealthy, draining, another location, no capacity) are left
 * out first; the rest are drawn in random order (weighted, without replacement) in batches of 2,
 * 4, 8, … whose hot state `hot` reads (one round trip a batch), until two eligible nodes are found
 * or every row was drawn. Drawing without replacement and skipping the ineligible gives each pair
 * of eligible nodes the probability {@link selectNode} gives it, so the spread is that of two
 * choices; a healthy fleet costs one read of two nodes per selection instead of one of every node.
 *
 * @param hot the candidates of the drawn rows, in their order (same length)
 * @returns the chosen candidate, or `null` when no node is eligible
 */
export async function selectNodeSampled<R extends NodeRowFacts, T extends NodeCandidate>(
  rows: readonly R[],
  hot: (drawn: readonly R[]) => Promise<readonly T[]>,
  options: SelectNodeOptions,
): Promise<T | null> {
  checkOptions(options);

  const pool = rows.filter((r) => r.healthy && !r.draining && r.capacity > 0 && (options.location === 'auto' || r.location === options.location));
  const weights = pool.map((r) => rampFactor(r, options.now, options));
  let total = weights.reduce((sum, w) => sum + w, 0);
  const eligible: T[] = [];
  for (let batch = 2; pool.length > 0 && eligible.length < 2; batch *= 2) {
    const drawn: R[] = [];
    while (drawn.length < batch && pool.length > 0) {
      const i = pickWeighted(pool, weights, total, options.random);
      drawn.push(pool[i] as R);
      total -= weights[i] as number;
      // Swap-remove: the order of what is left does not matter to a weighted draw.
      pool[i] = pool[pool.length - 1] as R;
      weights[i] = weights[weights.length - 1] as number;
      pool.pop();
      weights.pop();
    }
    const candidates = await hot(drawn);
    for (const c of candidates) if (eligible.length < 2 && isNodeEligible(c, options)) eligible.push(c);
  }
  const [first, second] = eligible;
  if (!first || !second) return first ?? null;
  // Ties keep the first draw, which is itself random, so equal nodes share evenly.
  return effectiveLoad(second, options.now, options) < effectiveLoad(first, options.now, options) ? second : first;
}
