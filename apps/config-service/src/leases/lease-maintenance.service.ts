import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '@phoenix/common';
import type { NetworkConfig } from '../config';
import { RedisLock } from '../core/redis-lock';
import { NodeMetricsStore } from '../fleet/node-metrics.store';
import { NodeSelectionService } from '../fleet/node-selection.service';
import { NodesRepository } from '../fleet/nodes.repository';
import { PeerAnnouncer } from '../fleet/peer-announcer';
import { LeasesRepository } from './leases.repository';

export interface MaintenanceResult {
  /** False when another replica held the lock and did the work. */
  ran: boolean;
  count: number;
}

const LOCK_TTL_MS = 60_000;

/**
 * Lease expiry (and forgetting the spent-token nullifiers that can no longer matter) and node
 * reaping. job-worker sends `network.leases.expire` / `network.nodes.reap` to every replica; a
 * Redis lock lets one of them do the work. A timer in each replica does the
 * same, so no lease outlives its expiry when job-worker is down. If Redis is down the work runs
 * anyway: it is idempotent (SKIP LOCKED batches), the lock only saves duplicate effort.
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
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.MAINTENANCE_INTERVAL_SEC * 1000;
    if (every <= 0) return;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      await this.expireLeases();
      await this.reapNodes();
    } catch (e) {
      this.logger.warn(`maintenance skipped: ${(e as Error).message}`);
    }
  }

  /**
   * Deletes expired leases and tells their nodes to remove the peers; then deletes the nullifiers
   * of tokens whose key can no longer be redeemed. The count is of leases.
   */
  async expireLeases(): Promise<MaintenanceResult> {
    const { ran, result } = await this.locked('leases-expire', async () => {
      const events = await this.leases.deleteExpired();
      for (const e of events) this.announcer.announce({ nodeId: e.nodeId, generation: e.generation, added: [], removed: e.removed });
      const forgotten = await this.leases.deleteForgottenSpends();
      if (forgotten) this.logger.log(`forgot ${forgotten} spent-token nullifiers whose key can no longer be redeemed`);
      return events.reduce((n, e) => n + e.removed.length, 0);
    });
    return { ran, count: result ?? 0 };
  }

  /** Marks silent nodes dead and removes silent ephemeral nodes. */
  async reapNodes(): Promise<MaintenanceResult> {
    const { ran, result } = await this.locked('nodes-reap', async () => {
      const { dead, removed } = await this.nodes.reap();
      if (dead.length || removed.length) this.selection.invalidate();
      for (const r of removed) {
        await this.metrics.forget(r.id);
        this.announcer.announce({ nodeId: r.id, generation: r.generation, added: [], removed: [], decommissioned: true });
      }
      if (dead.length || removed.length) this.logger.log(`reaped nodes: ${dead.length} marked dead, ${removed.length} ephemeral removed`);
      return dead.length + removed.length;
    });
    return { ran, count: result ?? 0 };
  }

  private async locked(name: string, work: () => Promise<number>): Promise<{ ran: boolean; result?: number }> {
    let release: (() => Promise<void>) | null = null;
    try {
      release = await this.lock.acquire(name, LOCK_TTL_MS);
      if (release === null) return { ran: false };
    } catch {
      // Redis is down: the work is idempotent, so run it unguarded rather than not at all.
    }
    try {
      return { ran: true, result: await work() };
    } finally {
      if (release) await release();
    }
  }
}
