import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, InjectConfig } from '@phoenix/common';
import type { NetworkConfig } from '../config';
import { RedisLock } from '../core/redis-lock';
import { NodeMetricsStore } from '../fleet/node-metrics.store';
import { NodeSelectionService } from '../fleet/node-selection.service';
import { EndedNode, NodesRepository, ReapCandidate, ReapPolicy, olderThan, silentFor } from '../fleet/nodes.repository';
import { PeerAnnouncer } from '../fleet/peer-announcer';
import { TenantUsageStore } from '../fleet/tenant-usage.store';
import { LeasesRepository } from './leases.repository';

/** The reply to `network.leases.expire`. */
export interface ExpiryResult {
  /** False only when another replica held the lock for the whole wait (it did the work). */
  ran: boolean;
  /** Expired leases deleted (their peers' removal announced). */
  count: number;
  /** Spent-token nullifiers deleted because their key can no longer be redeemed. */
  nullifiersForgotten: number;
}

/** The reply to `network.nodes.reap`. */
export interface ReapResult {
  ran: boolean;
  /** Nodes whose status changed (the three counts below). */
  count: number;
  /** Nodes marked dead: silent for `NODE_DEAD_AFTER_SEC`. */
  markedDead: number;
  /** Dead nodes decommissioned: silent for `NODE_DEAD_AFTER_SEC + NODE_DECOMMISSION_GRACE_SEC`. */
  decommissioned: number;
  /** Ephemeral nodes decommissioned: `EPHEMERAL_MAX_AGE_SEC` old, or silent. */
  ephemeralDecommissioned: number;
  /** Leases ended on those nodes (and on dead nodes still holding some). */
  leasesEnded: number;
}

const LOCK_TTL_MS = 60_000;
/** How often a replica that found the lock taken looks again, while it waits for the holder. */
const LOCK_POLL_MS = 250;

/**
 * Lease expiry (and forgetting the spent-token nullifiers that can no longer matter) and node
 * reaping, the owner's side of two job-worker schedules: `network.leases.expire` and
 * `network.nodes.reap` reach every replica; a Redis lock lets one do the work at a time, and the
 * others wait for it before answering, so any reply means the work is done. Both are state-based
 * (delete what has expired, end what is silent or too old), so a run repeated for the same period
 * finds nothing left to do. If Redis is down the work runs unguarded: the lock only saves
 * duplicate effort.
 *
 * The one timer here is a fallback, for a privacy promise only: leases are deleted when they expire
 * (invariant 5), so each replica also runs lease expiry every `MAINTENANCE_FALLBACK_INTERVAL_SEC`
 * (15 minutes by default), in case job-worker is down. Reaping has no fallback: while it does not
 * run, a silent node is still unselectable (selection wants a recent pulse) and its leases still
 * expire; only its decommissioning waits.
 */
@Injectable()
export class LeaseMaintenanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LeaseMaintenance');
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: NetworkConfig,
    private readonly leases: LeasesRepository,
    private readonly nodes: NodesRepository,
    private readonly metrics: NodeMetricsStore,
    private readonly announcer: PeerAnnouncer,
    private readonly lock: RedisLock,
    private readonly selection: NodeSelectionService,
    private readonly clock: Clock,
    private readonly usage: TenantUsageStore,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.MAINTENANCE_FALLBACK_INTERVAL_SEC * 1000;
    if (every <= 0) return;
    // Fallback for privacy invariant 5 (see the class comment), not a schedule: job-worker's is.
    this.timer = setInterval(() => void this.fallback(), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async fallback(): Promise<void> {
    try {
      await this.expireLeases();
    } catch (e) {
      this.logger.warn(`fallback lease expiry skipped: ${(e as Error).message}`);
    }
  }

  /**
   * Deletes expired leases and tells their nodes to remove the peers; then deletes the nullifiers
   * of tokens whose key can no longer be redeemed.
   */
  async expireLeases(): Promise<ExpiryResult> {
    const result = await this.locked('leases-expire', async () => {
      const events = await this.leases.deleteExpired();
      for (const e of events) {
        this.announcer.announce({ nodeId: e.nodeId, generation: e.generation, added: [], removed: e.removed });
        for (const t of e.tenantLeases) this.usage.held(t.tenantId, t.from, t.to);
      }
      const nullifiersForgotten = await this.leases.deleteForgottenSpends();
      const count = events.reduce((n, e) => n + e.removed.length, 0);
      if (count || nullifiersForgotten) this.logger.log(`expired ${count} leases, forgot ${nullifiersForgotten} spent-token nullifiers whose key can no longer be redeemed`);
      return { count, nullifiersForgotten };
    });
    return result ? { ran: true, ...result } : { ran: false, count: 0, nullifiersForgotten: 0 };
  }

  /**
   * Nodes silent for `NODE_DEAD_AFTER_SEC` are marked dead (unselectable) and their leases end;
   * still silent after `NODE_DECOMMISSION_GRACE_SEC` more, they are decommissioned. Ephemeral
   * nodes are decommissioned when silent or `EPHEMERAL_MAX_AGE_SEC` old; their leases end (README
   * "Expiry and reaping": a lease cannot be moved to a node its client does not know).
   */
  async reapNodes(): Promise<ReapResult> {
    const result = await this.locked('nodes-reap', async () => {
      const policy: ReapPolicy = {
        deadAfterSec: this.config.NODE_DEAD_AFTER_SEC,
        graceSec: this.config.NODE_DECOMMISSION_GRACE_SEC,
        ephemeralMaxAgeSec: this.config.EPHEMERAL_MAX_AGE_SEC,
      };
      const counts = { markedDead: 0, decommissioned: 0, ephemeralDecommissioned: 0, leasesEnded: 0 };
      for (const candidate of await this.nodes.reapCandidates(policy)) {
        const { to, when } = this.action(candidate, policy);
        const ended = await this.nodes.endNode(candidate.id, to, when);
        if (ended) await this.announce(candidate.id, to, ended);
        if (!ended) continue;
        counts.leasesEnded += ended.removed.length;
        if (!ended.moved) continue;
        if (to === 'dead') counts.markedDead++;
        else if (candidate.ephemeral) counts.ephemeralDecommissioned++;
        else counts.decommissioned++;
      }
      const count = counts.markedDead + counts.decommissioned + counts.ephemeralDecommissioned;
      if (count || counts.leasesEnded) this.selection.invalidate();
      if (count || counts.leasesEnded) {
        this.logger.log(`reaped nodes: ${counts.markedDead} marked dead, ${counts.decommissioned} decommissioned after the grace, ${counts.ephemeralDecommissioned} ephemeral decommissioned, ${counts.leasesEnded} leases ended`);
      }
      return { count, ...counts };
    });
    return result ? { ran: true, ...result } : { ran: false, count: 0, markedDead: 0, decommissioned: 0, ephemeralDecommissioned: 0, leasesEnded: 0 };
  }

  /** What reaping does to a candidate, and the condition (SQL over its row) checked again as it does. */
  private action(c: ReapCandidate, p: ReapPolicy): { to: 'dead' | 'decommissioned'; when: string } {
    if (c.ephemeral) return { to: 'decommissioned', when: `ephemeral AND (${olderThan(p.ephemeralMaxAgeSec)} OR ${silentFor(p.deadAfterSec)})` };
    if (c.pastGrace) return { to: 'decommissioned', when: `NOT ephemeral AND ${silentFor(p.deadAfterSec + p.graceSec)}` };
    return { to: 'dead', when: `status = 'active' AND ${silentFor(p.deadAfterSec)}` };
  }

  private async announce(nodeId: string, to: 'dead' | 'decommissioned', ended: EndedNode): Promise<void> {
    for (const t of ended.tenantLeases) this.usage.held(t.tenantId, t.from, t.to);
    if (to === 'decommissioned' && ended.moved) {
      await this.metrics.forget(nodeId);
      this.announcer.announce({ nodeId, generation: ended.generation, added: [], removed: ended.removed, decommissioned: true });
    } else {
      this.announcer.announce({ nodeId, generation: ended.generation, added: [], removed: ended.removed });
    }
  }

  /**
   * Runs `work` under the named lock. A replica that finds it taken waits for the holder to finish
   * (at most the lock's TTL) and then runs `work` itself, which finds nothing left; so no replica
   * answers before the work is done. null: the holder kept the lock for the whole wait.
   */
  private async locked<T>(name: string, work: () => Promise<T>): Promise<T | null> {
    let release: (() => Promise<void>) | null = null;
    try {
      const deadline = this.clock.nowMs() + LOCK_TTL_MS;
      while ((release = await this.lock.acquire(name, LOCK_TTL_MS)) === null) {
        if (this.clock.nowMs() >= deadline) return null;
        await this.clock.sleep(LOCK_POLL_MS);
      }
    } catch {
      // Redis is down: the work is idempotent, so run it unguarded rather than not at all.
    }
    try {
      return await work();
    } finally {
      if (release) await release();
    }
  }
}
