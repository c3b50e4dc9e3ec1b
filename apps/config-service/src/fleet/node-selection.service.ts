import { Injectable } from '@nestjs/common';
import { Clock } from '@phoenix/common';
import { NodeCandidate, effectiveLoad, isNodeEligible, selectNode } from '@phoenix/wireguard';
import { Random } from '../core/random';
import { NodeHotMetrics, NodeMetricsStore } from './node-metrics.store';
import { NodeRecord, NodesRepository } from './nodes.repository';

/** A node as selection sees it: the row plus its hot metrics. */
export interface SelectableNode extends NodeCandidate {
  readonly record: NodeRecord;
}

export type LoadLevel = 'low' | 'medium' | 'high';

export interface LocationAvailability {
  available: boolean;
  load: LoadLevel;
}

/** Combines a node row with its hot metrics into what `selectNode` needs. */
export function toCandidate(record: NodeRecord, hot: NodeHotMetrics | null): SelectableNode {
  return {
    record,
    id: record.id,
    location: record.locationId,
    // No pulse within three intervals (the hash expired): not a candidate, whatever the row says.
    healthy: record.healthy && hot !== null,
    draining: record.draining,
    capacity: record.capacity,
    activeLeases: hot?.peers ?? 0,
    load: hot?.load ?? 100,
    lastPulseAt: hot?.at ?? 0,
    pulseIntervalSec: record.pulseIntervalSec,
    assignedSinceLastPulse: hot?.assignedSinceLastPulse ?? 0,
    ...(record.recoveredAt ? { recoveredAt: record.recoveredAt.getTime() } : {}),
  };
}

export function loadLevel(load: number): LoadLevel {
  return load < 0.5 ? 'low' : load < 0.8 ? 'medium' : 'high';
}

/**
 * How long a replica reuses the node rows it read (per location). Hot metrics are always read
 * fresh; the rows (status, draining, capacity) change rarely, and this process drops its copy at
 * once when it changes one. Another replica may act on a drain up to this much later; a node that
 * is no longer active never gets a lease (the lease transaction re-checks its status).
 */
export const NODE_ROWS_TTL_MS = 1000;

/**
 * Picks nodes for new leases with `selectNode` (power of two choices over effective load, recovery
 * ramp) from @phoenix/wireguard, fed from Postgres (rows) and Redis (hot metrics).
 */
@Injectable()
export class NodeSelectionService {
  private readonly rows = new Map<string, { at: number; records: Promise<NodeRecord[]> }>();

  constructor(
    private readonly nodes: NodesRepository,
    private readonly metrics: NodeMetricsStore,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** Forgets the cached node rows (after this process changed a node). */
  invalidate(): void {
    this.rows.clear();
  }

  private activeNodes(location: string): Promise<NodeRecord[]> {
    const now = this.clock.nowMs();
    const hit = this.rows.get(location);
    if (hit && now - hit.at < NODE_ROWS_TTL_MS) return hit.records;
    const records = this.nodes.activeNodes(location);
    this.rows.set(location, { at: now, records });
    // A failed read is not cached: the next request asks the database again.
    records.catch(() => this.rows.get(location)?.records === records && this.rows.delete(location));
    return records;
  }

  async candidates(location: string): Promise<SelectableNode[]> {
    const records = await this.activeNodes(location);
    const hot = await this.metrics.read(records.map((r) => r.id));
    return records.map((r) => toCandidate(r, hot.get(r.id) ?? null));
  }

  /**
   * The node for a new lease in `location` (or `auto`), or null when none has room. A tenant's
   * lease (`tenantId`) goes to one of that tenant's dedicated nodes when one has room, else to a
   * shared node; any other lease only ever to a shared node (a dedicated node is never a candidate
   * for it). Each pool is chosen from by the same two choices.
   */
  async select(location: string, tenantId: string | null = null): Promise<SelectableNode | null> {
    const candidates = await this.candidates(location);
    const options = { now: this.clock.nowMs(), location, random: this.random.source };
    if (tenantId !== null) {
      const dedicated = selectNode(
        candidates.filter((c) => c.record.tenantId === tenantId),
        options,
      );
      if (dedicated) return dedicated;
    }
    return selectNode(
      candidates.filter((c) => c.record.tenantId === null),
      options,
    );
  }

  /** Per location: whether any node can take a lease, and how loaded the eligible ones are. */
  async availability(): Promise<Map<string, LocationAvailability>> {
    const now = this.clock.nowMs();
    const byLocation = new Map<string, number[]>();
    // Public availability: the shared fleet's (a tenant's dedicated nodes are not for everyone).
    for (const c of (await this.candidates('auto')).filter((n) => n.record.tenantId === null)) {
      const list = byLocation.get(c.location) ?? [];
      if (isNodeEligible(c, { now, location: c.location })) list.push(effectiveLoad(c, now));
      byLocation.set(c.location, list);
    }
    const out = new Map<string, LocationAvailability>();
    for (const [location, loads] of byLocation) {
      out.set(location, loads.length ? { available: true, load: loadLevel(loads.reduce((a, b) => a + b, 0) / loads.length) } : { available: false, load: 'high' });
    }
    return out;
  }
}
