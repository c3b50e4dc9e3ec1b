import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import { RedisKeys } from '../core/redis-keys';

/** What a node reported at its last pulse, plus what replicas assigned to it since. */
export interface NodeHotMetrics {
  load: number;
  peers: number;
  /** Epoch ms of the pulse. */
  at: number;
  /** What the node said of its health at that pulse (absent from a hash written before it was kept). */
  healthy?: boolean;
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

/** A pulse: the node's fields (ARGV[2..], name/value pairs) with a fresh TTL (ARGV[1] ms), and the assigned count (KEYS[2]) reset. */
const RECORD_PULSE = `redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1`;

/** One more lease assigned to the node since its pulse; the count lives as long as a pulse (ARGV[1] ms). */
const ASSIGN = `local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n`;

type MetricsRedis = RedisClient & {
  nodeMetricsPulse(pulseKey: string, assignedKey: string, ttlMs: number, ...fields: string[]): Promise<number>;
  nodeMetricsAssign(assignedKey: string, ttlMs: number): Promise<number>;
};

/**
 * Hot node metrics in Redis, shared by every replica: the last pulse (a hash that expires after
 * three intervals, so a silent node's numbers vanish) and a counter of leases assigned since it.
 * The counter is what keeps replicas from herding onto the node that looked emptiest at the pulse.
 *
 * Every write is one command (a script: atomic, and on a Redis Cluster within the node's hash tag)
 * and every read single commands, never an explicit MULTI or pipeline: the data client
 * auto-pipelines, so the commands of concurrent redemptions and pulses share socket writes (a
 * write to Redis is a syscall that also runs the loopback's delivery; an explicit pipeline is
 * written at once, on its own).
 */
@Injectable()
export class NodeMetricsStore {
  private readonly redis: MetricsRedis;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    if (!('nodeMetricsPulse' in redis)) redis.defineCommand('nodeMetricsPulse', { numberOfKeys: 2, lua: RECORD_PULSE });
    if (!('nodeMetricsAssign' in redis)) redis.defineCommand('nodeMetricsAssign', { numberOfKeys: 1, lua: ASSIGN });
    this.redis = redis as MetricsRedis;
  }

  async recordPulse(nodeId: string, m: PulseMetrics, at: number, intervalSec: number): Promise<void> {
    const ttlMs = intervalSec * 3 * 1000 + 5000;
    const fields = ['load', String(m.load), 'peers', String(m.peers), 'at', String(at), 'healthy', m.healthy ? '1' : '0'];
    if (m.rxBytes !== undefined) fields.push('rxBytes', String(m.rxBytes));
    if (m.txBytes !== undefined) fields.push('txBytes', String(m.txBytes));
    if (m.cpu !== undefined) fields.push('cpu', String(m.cpu));
    // The pulse now reflects every lease handed out before it: the assigned count starts again.
    await this.redis.nodeMetricsPulse(this.keys.nodePulse(nodeId), this.keys.nodeAssigned(nodeId), ttlMs, ...fields);
  }

  /** Hot metrics of each node (null when it has not pulsed within three intervals). */
  async read(nodeIds: readonly string[]): Promise<Map<string, NodeHotMetrics | null>> {
    // Single commands, all sent at once (see the class comment): auto-pipelined, and on a Redis
    // Cluster routed by each key's slot (a node's two keys share its tag).
    const replies = await Promise.all(
      nodeIds.map((id) => Promise.all([this.redis.hmget(this.keys.nodePulse(id), 'load', 'peers', 'at', 'healthy'), this.redis.get(this.keys.nodeAssigned(id))])),
    );
    const out = new Map<string, NodeHotMetrics | null>();
    nodeIds.forEach((id, i) => {
      const [[load, peers, at, healthy], assigned] = replies[i] as [(string | null)[], string | null];
      if (load == null || peers == null || at == null) {
        out.set(id, null);
        return;
      }
      out.set(id, { load: Number(load), peers: Number(peers), at: Number(at), assignedSinceLastPulse: Number(assigned ?? 0), ...(healthy != null ? { healthy: healthy === '1' } : {}) });
    });
    return out;
  }

  /** Counts one lease handed to the node since its pulse (visible to every replica at once). */
  async assign(nodeId: string, intervalSec: number): Promise<void> {
    await this.redis.nodeMetricsAssign(this.keys.nodeAssigned(nodeId), intervalSec * 3 * 1000 + 5000);
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
