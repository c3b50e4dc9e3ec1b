import { Inject, Injectable } from '@nestjs/common';
import { type RedisClient, isRedisCluster } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import type { ChainableCommander } from 'ioredis';
import { RedisKeys } from '../core/redis-keys';

/** What a node reported at its last pulse, plus what replicas assigned to it since. */
export interface NodeHotMetrics {
  load: number;
  peers: number;
  /** Epoch ms of the pulse. */
  at: number;
  assignedSinceLastPulse: number;
}

export interface PulseMetrics {
  load: number;
  peers: number;
  rxBytes?: number;
  txBytes?: number;
  cpu?: number;
  healthy: boolean;
}

/**
 * Hot node metrics in Redis, shared by every replica: the last pulse (a hash that expires after
 * three intervals, so a silent node's numbers vanish) and a counter of leases assigned since it.
 * The counter is what keeps replicas from herding onto the node that looked emptiest at the pulse.
 */
@Injectable()
export class NodeMetricsStore {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async recordPulse(nodeId: string, m: PulseMetrics, at: number, intervalSec: number): Promise<void> {
    const ttlMs = intervalSec * 3 * 1000 + 5000;
    const fields: Record<string, string> = { load: String(m.load), peers: String(m.peers), at: String(at), healthy: m.healthy ? '1' : '0' };
    if (m.rxBytes !== undefined) fields.rxBytes = String(m.rxBytes);
    if (m.txBytes !== undefined) fields.txBytes = String(m.txBytes);
    if (m.cpu !== undefined) fields.cpu = String(m.cpu);
    const res = await this.redis
      .multi()
      .hset(this.keys.nodePulse(nodeId), fields)
      .pexpire(this.keys.nodePulse(nodeId), ttlMs)
      // The pulse now reflects every lease handed out before it.
      .del(this.keys.nodeAssigned(nodeId))
      .exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('pulse transaction aborted');
  }

  /** Hot metrics of each node (null when it has not pulsed within three intervals). */
  async read(nodeIds: readonly string[]): Promise<Map<string, NodeHotMetrics | null>> {
    const out = new Map<string, NodeHotMetrics | null>();
    if (nodeIds.length === 0) return out;
    const res = await this.readAll(nodeIds);
    nodeIds.forEach((id, i) => {
      const [e1, pulse] = res[2 * i] ?? [new Error('missing reply')];
      const [e2, assigned] = res[2 * i + 1] ?? [new Error('missing reply')];
      if (e1 || e2) throw e1 ?? e2;
      const [load, peers, at] = pulse as (string | null)[];
      if (load == null || peers == null || at == null) {
        out.set(id, null);
        return;
      }
      out.set(id, { load: Number(load), peers: Number(peers), at: Number(at), assignedSinceLastPulse: Number(assigned ?? 0) });
    });
    return out;
  }

  /**
   * Each node's pulse and assigned count, in `nodeIds` order (two replies a node). One pipeline on
   * a single Redis; on a Redis Cluster a pipeline must stay within one node's slots, so one small
   * pipeline per node (its two keys share the node's tag), all sent at once.
   */
  private async readAll(nodeIds: readonly string[]): Promise<[Error | null, unknown][]> {
    const ofNode = (pipe: ChainableCommander, id: string) => pipe.hmget(this.keys.nodePulse(id), 'load', 'peers', 'at').get(this.keys.nodeAssigned(id));
    if (isRedisCluster(this.redis)) {
      const perNode = await Promise.all(nodeIds.map((id) => ofNode(this.redis.pipeline(), id).exec()));
      return perNode.flatMap((r) => r ?? []);
    }
    const pipe = this.redis.pipeline();
    for (const id of nodeIds) ofNode(pipe, id);
    return (await pipe.exec()) ?? [];
  }

  /** Counts one lease handed to the node since its pulse (visible to every replica at once). */
  async assign(nodeId: string, intervalSec: number): Promise<void> {
    await this.redis.multi().incr(this.keys.nodeAssigned(nodeId)).pexpire(this.keys.nodeAssigned(nodeId), intervalSec * 3 * 1000 + 5000).exec();
  }

  /** Takes back an assignment whose lease was not made (best effort). */
  async unassign(nodeId: string): Promise<void> {
    await this.redis.decr(this.keys.nodeAssigned(nodeId)).catch(() => undefined);
  }

  /** Hot metrics of nodes for the admin view (best effort: Redis down gives nulls). */
  async peek(nodeIds: readonly string[]): Promise<Map<string, NodeHotMetrics | null>> {
    try {
      return await this.read(nodeIds);
    } catch {
      return new Map(nodeIds.map((id) => [id, null]));
    }
  }

  async forget(nodeId: string): Promise<void> {
    await this.redis.del(this.keys.nodePulse(nodeId), this.keys.nodeAssigned(nodeId)).catch(() => undefined);
  }
}
