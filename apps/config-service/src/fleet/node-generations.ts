import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '@phoenix/database';
import { Row } from '../database/rows';
import { PeerAnnouncer, desiredPeer } from './peer-announcer';

interface Waiter {
  publicKey: string;
  resolve: (generation: number | null) => void;
}

/**
 * Moves a node's desired-state generation on after new leases commit, and announces them.
 *
 * The lease transaction does not touch the generation: if it did, every redemption on a node
 * would lock that one row through its commit and redemptions to one node could not share a group
 * commit. Instead, once a lease has committed, {@link leaseCommitted} queues it per node; one
 * `UPDATE node_generation … + 1` (its own short transaction) then covers every lease of that node
 * this process committed meanwhile, and one `peers-changed` announcement carries them all. Several
 * replicas each do this; their bumps take turns on the row.
 *
 * Why a node that applies the announcements in generation order ends with exactly its desired set:
 * - `GET /nodes/:id/peers` reads the generation and the leases in one snapshot; a generation is
 *   only ever bumped after the changes it covers committed (or, for removals, in their own
 *   transaction), so a set at generation G holds every change numbered G or lower.
 * - An announcement does not say what its requests wrote but what the node holds for those keys
 *   now, read after the bump: a lease of the key (added) or none (removed). Two changes of one key
 *   can commit in one order and be numbered in the other (the later commit's bump won the row
 *   first); then the higher-numbered announcement, read after the other change committed, still
 *   tells the final state. Changes of different keys commute.
 * - Every bump that commits is +1, and is announced: a node sees consecutive generations. A bump
 *   that failed after its leases committed makes this process's next bump for that node +2, so
 *   the node sees a gap and reconciles. A process that dies between a lease's commit and the bump
 *   leaves the lease unannounced and the generation where it was: the node gets it at its periodic
 *   reconcile (RECONCILE_INTERVAL_SEC), or with the next gap.
 */
@Injectable()
export class NodeGenerations implements BeforeApplicationShutdown {
  private readonly logger = new Logger('NodeGenerations');
  /** Leases committed and waiting for their node's next bump (a node is here while a bump runs). */
  private readonly queues = new Map<string, Waiter[]>();
  /** Nodes whose generation could not be moved on after a commit: their next bump skips one. */
  private readonly owed = new Set<string>();
  /** The per-node loops running now. */
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    private readonly announcer: PeerAnnouncer,
  ) {}

  /**
   * After the commit of a lease of `publicKey` on `nodeId`: moves the node's generation on and
   * announces the node's current peer for that key (with every other key queued meanwhile).
   * Never rejects: the lease is committed whatever happens here (a failure is logged, and the node
   * reconciles; see the class comment).
   * @returns the generation announced, or null when it could not be moved on or announced
   */
  leaseCommitted(nodeId: string, publicKey: string): Promise<number | null> {
    return new Promise((resolve) => {
      const queue = this.queues.get(nodeId);
      if (queue) {
        queue.push({ publicKey, resolve });
        return;
      }
      const fresh: Waiter[] = [{ publicKey, resolve }];
      this.queues.set(nodeId, fresh);
      const run = this.drain(nodeId, fresh);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    });
  }

  /** Resolves once every lease committed so far has been announced (or given up on). */
  async idle(): Promise<void> {
    // Bounded: a loop started while we wait is waited for too, and loops end when commits stop.
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** The leases committed before shutdown still get their generation (before the pool closes). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  /**
   * One bump at a time per node: each pass takes everything queued so far, and the loop ends at
   * the first pass that finds nothing new (it runs only as long as leases keep committing).
   */
  private async drain(nodeId: string, queue: Waiter[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0);
      const generation = await this.advance(
        nodeId,
        [...new Set(batch.map((w) => w.publicKey))],
      );
      for (const w of batch) w.resolve(generation);
    }
    this.queues.delete(nodeId);
  }

  private async advance(nodeId: string, keys: string[]): Promise<number | null> {
    const step = this.owed.has(nodeId) ? 2 : 1;
    let generation: number;
    try {
      const bumped = await preparedQuery(this.ds, 'node_generation_bump', `UPDATE node_generation SET generation = generation + $2 WHERE node_id = $1 RETURNING generation`, [nodeId, step]);
      this.owed.delete(nodeId);
      // No row: the node was deleted (not decommissioned: that keeps it). Nothing to tell.
      if (!bumped[0]) return null;
      generation = Number(bumped[0].generation);
    } catch (e) {
      this.owed.add(nodeId);
      this.logger.warn(`generation of node ${nodeId} not moved on after ${keys.length} new lease(s): ${(e as Error).message}; its next one skips a number so it reconciles`);
      return null;
    }
    let current: Row[];
    try {
      // Read after the bump: see the class comment. Expired leases are not listed, as in the peer set.
      current = await preparedQuery(
        this.ds,
        'node_generation_announced_leases',
        `SELECT public_key, host(ipv4) AS ipv4, host(ipv6) AS ipv6, expires_at, tenant_id FROM lease
         WHERE node_id = $1 AND public_key = ANY($2::text[]) AND expires_at > now()`,
        [nodeId, keys],
      );
    } catch (e) {
      // The generation moved on unannounced: the node sees the gap (next announcement or pulse).
      this.logger.warn(`generation ${generation} of node ${nodeId} not announced: ${(e as Error).message}`);
      return null;
    }
    const held = new Set(current.map((r) => r.public_key as string));
    this.announcer.announce({
      nodeId,
      generation,
      added: current.map((r) => desiredPeer(r.public_key as string, r.ipv4 as string, (r.ipv6 as string | null) ?? null, r.expires_at as Date, (r.tenant_id as string | null) ?? null)),
      removed: keys.filter((k) => !held.has(k)),
    });
    return generation;
  }
}
