import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { Clock, Patterns } from '@phoenix/common';
import { NodeCandidate, NodeRowFacts, effectiveLoad, isNodeEligible, selectNodeSampled } from '@phoenix/wireguard';
import { NODE_TRANSPORT } from '../core/core.module';
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
    // Unhealthy at its last pulse: not one either, even while this replica's rows still say healthy.
    healthy: record.healthy && hot !== null && hot.healthy !== false,
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

/** A node row as the sampled two choices draw it (before its hot metrics are read). */
interface RowFacts extends NodeRowFacts {
  readonly record: NodeRecord;
}

function rowFacts(record: NodeRecord): RowFacts {
  return {
    record,
    location: record.locationId,
    healthy: record.healthy,
    draining: record.draining,
    capacity: record.capacity,
    pulseIntervalSec: record.pulseIntervalSec,
    ...(record.recoveredAt ? { recoveredAt: record.recoveredAt.getTime() } : {}),
  };
}

/** A location's cached rows: all of them, and per pool (a tenant's dedicated nodes; `null`: the shared fleet). */
interface CachedRows {
  records: NodeRecord[];
  pools: Map<string | null, RowFacts[]>;
}

/** One read of a location's rows: when it started, whether it is done, and whether a refresh of it runs. */
interface RowsEntry {
  at: number;
  rows: Promise<CachedRows>;
  settled: boolean;
  refreshing: boolean;
}

export function loadLevel(load: number): LoadLevel {
  return load < 0.5 ? 'low' : load < 0.8 ? 'medium' : 'high';
}

/**
 * How long a replica reuses the node rows it read (per location) before reading them again in the
 * background. Hot metrics — with the health a node reported at its last pulse — are always read
 * fresh; the rows (status, draining, capacity, recovery) change rarely, and whichever replica
 * changes one tells every replica to drop its copy at once (`network.nodes.changed`,
 * {@link NodeSelectionService.invalidate}). The TTL only bounds how long a lost notice (a replica's
 * subscriber reconnecting) can leave a busy location's rows stale; a node that is no longer active
 * never gets a lease anyway (the lease transaction re-checks its status). Re-reading a location's
 * rows more often cost what the 10,000-node fleet measured: at a 5 s TTL, a read of 834 rows
 * every few seconds per location and replica was its redemption tail (p99 2.2× the 10-node
 * fleet's; 0.8× at 30 s, bench/README.md "Fleet").
 */
export const NODE_ROWS_TTL_MS = 30_000;

/**
 * Rows older than this are not served while they are read again: the redemption waits for the
 * read. Up to then, rows past {@link NODE_ROWS_TTL_MS} are served and refreshed behind it, so a
 * location visited now and then (every few minutes on one replica) never waits for its rows — at
 * 834 nodes a location, that read was the slow tail of redemption latency.
 */
export const NODE_ROWS_MAX_AGE_MS = 5 * 60_000;

/**
 * Picks nodes for new leases with `selectNodeSampled` (power of two choices over effective load,
 * recovery ramp) from @phoenix/wireguard, fed from Postgres (rows, cached) and Redis (the hot
 * metrics of only the nodes it draws: one read of two nodes per redemption in a healthy fleet,
 * whatever the number of nodes in the location).
 */
@Injectable()
export class NodeSelectionService {
  private readonly rows = new Map<string, RowsEntry>();

  private readonly logger = new Logger('NodeSelection');

  constructor(
    private readonly nodes: NodesRepository,
    private readonly metrics: NodeMetricsStore,
    private readonly clock: Clock,
    private readonly random: Random,
    @Inject(NODE_TRANSPORT) private readonly transport: ClientProxy,
  ) {}

  /**
   * After this process changed a node row: forgets the cached rows here, and tells every replica
   * to forget theirs (`network.nodes.changed`; fire and forget — a lost notice is bounded by
   * {@link NODE_ROWS_TTL_MS} on busy locations and {@link NODE_ROWS_MAX_AGE_MS} on idle ones).
   */
  invalidate(): void {
    this.forget();
    try {
      this.transport.emit(Patterns.NODES_CHANGED, {}).subscribe({ error: (e: unknown) => this.logger.warn(`nodes-changed not sent: ${(e as Error).message}`) });
    } catch (e) {
      this.logger.warn(`nodes-changed not sent: ${(e as Error).message}`);
    }
  }

  /** Forgets the node rows cached here (another replica changed a node). */
  forget(): void {
    this.rows.clear();
  }

  /**
   * The location's rows: read once, then reused for {@link NODE_ROWS_TTL_MS}. Past that, the rows
   * held are still served while one read refreshes them in the background (up to
   * {@link NODE_ROWS_MAX_AGE_MS}), so no redemption waits for a location's rows to be read again.
   * Only rows older than that, or none (never read, or dropped after a change), are waited for.
   */
  private activeNodes(location: string): Promise<CachedRows> {
    const now = this.clock.nowMs();
    const hit = this.rows.get(location);
    if (hit && now - hit.at < NODE_ROWS_TTL_MS) return hit.rows;
    if (hit && now - hit.at < NODE_ROWS_MAX_AGE_MS && hit.settled) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        const next = this.read(location, now);
        // Replaces the entry once read (unless something newer did meanwhile); a failed read keeps the old rows until they are too old.
        next.rows.then(
          () => this.rows.get(location) === hit && this.rows.set(location, next),
          () => (hit.refreshing = false),
        );
      }
      return hit.rows;
    }
    const entry = this.read(location, now);
    this.rows.set(location, entry);
    // A failed read is not cached: the next request asks the database again.
    entry.rows.catch(() => this.rows.get(location) === entry && this.rows.delete(location));
    return entry.rows;
  }

  private read(location: string, at: number): RowsEntry {
    const entry: RowsEntry = {
      at,
      settled: false,
      refreshing: false,
      rows: this.nodes.activeNodes(location).then((records) => {
        const pools = new Map<string | null, RowFacts[]>();
        for (const r of records) {
          const pool = pools.get(r.tenantId);
          if (pool) pool.push(rowFacts(r));
          else pools.set(r.tenantId, [rowFacts(r)]);
        }
        entry.settled = true;
        return { records, pools };
      }),
    };
    return entry;
  }

  /** Every active node of `location` with its hot metrics (all read: for the availability view). */
  async candidates(location: string): Promise<SelectableNode[]> {
    const { records } = await this.activeNodes(location);
    const hot = await this.metrics.read(records.map((r) => r.id));
    return records.map((r) => toCandidate(r, hot.get(r.id) ?? null));
  }

  /** The candidates of drawn rows: their hot metrics read in one round trip. */
  private readonly hotOf = async (drawn: readonly RowFacts[]): Promise<SelectableNode[]> => {
    const hot = await this.metrics.read(drawn.map((f) => f.record.id));
    return drawn.map((f) => toCandidate(f.record, hot.get(f.record.id) ?? null));
  };

  /**
   * The node for a new lease in `location` (or `auto`), or null when none has room. A tenant's
   * lease (`tenantId`) goes to one of that tenant's dedicated nodes when one has room, else to a
   * shared node; any other lease only ever to a shared node (a dedicated node is never a candidate
   * for it). Each pool is chosen from by the same two choices.
   */
  async select(location: string, tenantId: string | null = null): Promise<SelectableNode | null> {
    const { pools } = await this.activeNodes(location);
    const options = { now: this.clock.nowMs(), location, random: this.random.source };
    if (tenantId !== null) {
      const dedicated = await selectNodeSampled(pools.get(tenantId) ?? [], this.hotOf, options);
      if (dedicated) return dedicated;
    }
    return selectNodeSampled(pools.get(null) ?? [], this.hotOf, options);
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
