import { Injectable } from '@nestjs/common';
import type { RandomSource } from '@phoenix/wireguard';
import { DataSource } from 'typeorm';
import { Row, rowsOf } from '../database/rows';
import { AddressPools, addressCandidates } from './address-candidates';
import { AddressesExhaustedError, NodeNotActiveError, TokenAlreadySpentError } from './leases.errors';

export interface NewLease {
  id: string;
  ipv4: string;
  ipv6: string | null;
  expiresAt: Date;
  /** The node's generation after adding this peer. */
  generation: number;
  /** A previous lease of the same key on this node was replaced. */
  superseded: boolean;
}

/** The durable record of the token a lease is paid with (see redemption/nullifier.ts). */
export interface SpendRecord {
  nullifier: Uint8Array;
  /** UTC day (`YYYY-MM-DD`) from which the row may be deleted. */
  forgetOn: string;
}

export interface ExpiredPeers {
  nodeId: string;
  generation: number;
  removed: string[];
}

/** Candidates tried per round trip, and round trips before giving up. */
const CANDIDATES_PER_TRY = 4;
const MAX_TRIES = 8;
const EXPIRE_BATCH = 1000;
const FORGET_BATCH = 10_000;

/**
 * Leases in Postgres. Address uniqueness per node is enforced by unique indexes, which is what
 * makes allocation safe across replicas; allocation tries random candidates and lets the indexes
 * arbitrate, so its cost does not grow with the number of leases (index probes only).
 */
@Injectable()
export class LeasesRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Records the token's nullifier, writes a lease on `nodeId` with random free addresses and bumps
   * the node's generation, in one transaction. A lease the same key held on this node is replaced
   * (WireGuard has one peer per key). The nullifier row has no link to the lease (its own table,
   * no ids, only the day it may be forgotten).
   * @throws TokenAlreadySpentError when the nullifier is already recorded (nothing is written),
   *   NodeNotActiveError, AddressesExhaustedError; the driver's error when Postgres fails
   */
  async create(args: { nodeId: string; publicKey: string; pools: AddressPools; reserved: readonly string[]; ttlSec: number; random: RandomSource; spend: SpendRecord }): Promise<NewLease> {
    return this.ds.transaction(async (em) => {
      // First, so a token Redis forgot fails before any lease row is touched. The primary key
      // decides between replicas: a concurrent insert of the same nullifier waits for the other
      // transaction and, if that commits, inserts nothing.
      const spent: Row[] = await em.query(`INSERT INTO spent_token (nullifier, forget_on) VALUES ($1, $2::date) ON CONFLICT DO NOTHING RETURNING true AS ok`, [
        Buffer.from(args.spend.nullifier),
        args.spend.forgetOn,
      ]);
      if (!spent[0]) throw new TokenAlreadySpentError();
      const superseded = rowsOf(await em.query(`DELETE FROM lease WHERE node_id = $1 AND public_key = $2 RETURNING id`, [args.nodeId, args.publicKey]));
      const tried = new Set<string>();
      let lease: Row | undefined;
      for (let attempt = 0; attempt < MAX_TRIES && !lease; attempt++) {
        const candidates = addressCandidates(args.pools, CANDIDATES_PER_TRY, args.random, args.reserved, tried);
        if (candidates.length === 0) break;
        // The NOT EXISTS probes skip candidates already taken; ON CONFLICT DO NOTHING settles a
        // race with another replica inserting the same address at the same moment (no row → retry).
        const rows: Row[] = await em.query(
          `INSERT INTO lease (node_id, public_key, ipv4, ipv6, expires_at)
           SELECT $1, $2, c.ipv4, c.ipv6, now() + make_interval(secs => $3)
           FROM unnest($4::inet[], $5::inet[]) WITH ORDINALITY AS c(ipv4, ipv6, ord)
           WHERE NOT EXISTS (SELECT 1 FROM lease l WHERE l.node_id = $1 AND l.ipv4 = c.ipv4)
             AND (c.ipv6 IS NULL OR NOT EXISTS (SELECT 1 FROM lease l WHERE l.node_id = $1 AND l.ipv6 = c.ipv6))
           ORDER BY c.ord
           LIMIT 1
           ON CONFLICT DO NOTHING
           RETURNING id, host(ipv4) AS ipv4, host(ipv6) AS ipv6, expires_at`,
          [args.nodeId, args.publicKey, args.ttlSec, candidates.map((c) => c.ipv4), candidates.map((c) => c.ipv6)],
        );
        lease = rows[0];
      }
      if (!lease) throw new AddressesExhaustedError();
      // Last, so the node row is locked only for the commit: this is every redemption's hot row.
      const node = rowsOf(await em.query(`UPDATE node SET generation = generation + 1 WHERE id = $1 AND status = 'active' RETURNING generation`, [args.nodeId]));
      if (!node[0]) throw new NodeNotActiveError();
      return {
        id: lease.id as string,
        ipv4: lease.ipv4 as string,
        ipv6: (lease.ipv6 as string | null) ?? null,
        expiresAt: lease.expires_at as Date,
        generation: Number(node[0].generation),
        superseded: superseded.length > 0,
      };
    });
  }

  /**
   * Deletes the nullifiers of tokens that can no longer be redeemed (`forget_on` reached, UTC), in
   * batches. Safe to run on several replicas at once (SKIP LOCKED).
   * @returns how many were deleted
   */
  async deleteForgottenSpends(): Promise<number> {
    let total = 0;
    for (;;) {
      const result: unknown = await this.ds.query(
        `DELETE FROM spent_token WHERE nullifier IN (
           SELECT nullifier FROM spent_token WHERE forget_on <= (now() AT TIME ZONE 'UTC')::date LIMIT $1 FOR UPDATE SKIP LOCKED)`,
        [FORGET_BATCH],
      );
      // TypeORM answers a DELETE with [rows, rowCount].
      const count = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
      total += count;
      if (count < FORGET_BATCH) return total;
    }
  }

  /**
   * Deletes expired leases (nothing is archived) in batches, bumping each affected node's
   * generation in the same statement. Safe to run on several replicas at once (SKIP LOCKED).
   * @returns per node, the removed peers and the generation after their removal
   */
  async deleteExpired(): Promise<ExpiredPeers[]> {
    const events: ExpiredPeers[] = [];
    for (;;) {
      const byNode = new Map<string, ExpiredPeers>();
      const rows: Row[] = await this.ds.query(
        `WITH gone AS (
           DELETE FROM lease WHERE id IN (
             SELECT id FROM lease WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING node_id, public_key
         ), bumped AS (
           UPDATE node n SET generation = n.generation + 1
           FROM (SELECT DISTINCT node_id FROM gone) g WHERE n.id = g.node_id
           RETURNING n.id, n.generation
         )
         SELECT g.node_id, g.public_key, b.generation FROM gone g JOIN bumped b ON b.id = g.node_id`,
        [EXPIRE_BATCH],
      );
      for (const r of rows) {
        const nodeId = r.node_id as string;
        const entry = byNode.get(nodeId) ?? { nodeId, generation: 0, removed: [] };
        entry.generation = Number(r.generation);
        entry.removed.push(r.public_key as string);
        byNode.set(nodeId, entry);
      }
      events.push(...byNode.values());
      if (rows.length < EXPIRE_BATCH) break;
    }
    return events;
  }
}
