import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { Clock, Patterns, type RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import { NodeCandidate, NodeRowFacts, effectiveLoad, isNodeEligible, selectNodeSampled } from '@phoenix/wireguard';
import { NODE_TRANSPORT } from '../core/core.module';
import { Random } from '../core/random';
import { RedisKeys } from '../core/redis-keys';
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

/**
 * One read of a location's rows: when it started (or was last found current), the version of the
 * fleet's rows read just before it (null: unknown), whether it is done, and whether a check of it runs.
 */
interface RowsEntry {
  at: number;
  version: string | null;
  rows: Promise<CachedRows>;
  settled: boolean;
  refreshing: boolean;
}

export function loadLevel(load: number): LoadLevel {
  return load < 0.5 ? 'low' : load < 0.8 ? 'medium' : 'high';
}

/**
 * How long a replica uses a location's cached rows before it checks, in the background, whether
 * they are still current: one `GET` of the fleet's row version ({@link RedisKeys.nodeRowsVersion}),
 * which every replica that changes a node row moves on. The rows (status, draining, capacity,
 * recovery) are read again only when it moved; hot metrics — with the health a node reported at
 * its last pulse — are always read fresh. The replica that changes a row also tells every replica
 * to drop its copy at once (`network.nodes.changed`, {@link NodeSelectionService.invalidate}); the
 * version check is what bounds a lost notice to about this long. A node that is no longer active
 * never gets a lease anyway (the lease transaction re-checks its status). Reading a location's
 * rows again on a timer instead (834 rows at 10,000 nodes, every few seconds per location and
 * replica) was the 10,000-node fleet's redemption tail (bench/README.md "Fleet").
 */
export const NODE_ROWS_TTL_MS = 1000;

/**
 * Rows not found current for this long (Redis unreachable, or a location nobody asked for) are not
 * served while they are read again: the redemption waits for the read. Up to then, rows past
 * {@link NODE_ROWS_TTL_MS} are served while they are checked (and read again if they changed)
 * behind it, so a location visited now and then never waits for its rows.
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
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * After this process changed a node row: moves the fleet's row version on, forgets the cached
   * rows here, and tells every replica to forget theirs (`network.nodes.changed`). Both fire and
   * forget: a replica that misses the notice finds the version moved within {@link NODE_ROWS_TTL_MS}.
   */
  invalidate(): void {
    void this.redis.incr(this.keys.nodeRowsVersion()).catch((e: unknown) => this.logger.warn(`node row version not moved on: ${(e as Error).message}`));
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
   * The location's rows: read once, then used as they are for {@link NODE_ROWS_TTL_MS}. Past that,
   * they are still served while one check in the background compares the fleet's row version with
   * the one read before them: the same, and they count as current again; moved on (or unknown), and
   * the rows are read again behind the requests, which meanwhile get the rows held. Only rows not
   * found current for {@link NODE_ROWS_MAX_AGE_MS}, or none (never read, or dropped after a
   * change), are waited for.
   */
  private activeNodes(location: string): Promise<CachedRows> {
    const now = this.clock.nowMs();
    const hit = this.rows.get(location);
    if (hit && now - hit.at < NODE_ROWS_TTL_MS) return hit.rows;
    if (hit && now - hit.at < NODE_ROWS_MAX_AGE_MS && hit.settled) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        void this.rowsVersion().then((version) => {
          if (version !== null && version === hit.version) {
            hit.at = this.clock.nowMs();
            hit.refreshing = false;
            return;
          }
          const next = this.read(location, this.clock.nowMs());
          // Replaces the entry once read (unless something newer did meanwhile); a failed read keeps the old rows until they are too old.
          next.rows.then(
            () => this.rows.get(location) === hit && this.rows.set(location, next),
            () => (hit.refreshing = false),
          );
        });
      }
      return hit.rows;
    }
    const entry = this.read(location, now);
    this.rows.set(location, entry);
    // A failed read is not cached: the next request asks the database again.
    entry.rows.catch(() => this.rows.get(location) === entry && this.rows.delete(location));
    return entry.rows;
  }

  /** The fleet's row version ('0' before any change was counted); null when Redis does not answer. */
  private rowsVersion(): Promise<string | null> {
    return this.redis.get(this.keys.nodeRowsVersion()).then(
      (v) => v ?? '0',
      () => null,
    );
  }

  /** Reads the version, then the rows (in that order: rows are never marked with a version newer than they are). */
  private read(location: string, at: number): RowsEntry {
    const entry: RowsEntry = {
      at,
      version: null,
      settled: false,
      refreshing: false,
      rows: this.rowsVersion()
        .then((version) => {
          entry.version = version;
          return this.nodes.activeNodes(location);
        })
        .then((records) => {
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
