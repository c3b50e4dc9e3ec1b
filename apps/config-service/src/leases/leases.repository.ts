import { Injectable } from '@nestjs/common';
import type { RandomSource } from '@phoenix/wireguard';
import { DataSource } from 'typeorm';
import { Row, pgErrorCode } from '../database/rows';
import { AddressPools, addressCandidates } from './address-candidates';
import { AddressesExhaustedError, NodeNotActiveError, TokenAlreadySpentError } from './leases.errors';

export interface NewLease {
  id: string;
  ipv4: string;
  ipv6: string | null;
  expiresAt: Date;
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

/** Candidates per `lease_create` call, and calls before giving up. */
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
   * Records the token's nullifier and writes a lease on `nodeId` with random free addresses, in one
   * transaction — one statement, `lease_create` (migration 1797000000001), so one round trip. A
   * lease the same key held on this node is replaced (WireGuard has one peer per key). The
   * nullifier row has no link to the lease (its own table, no ids, only the day it may be
   * forgotten). The node's generation is not touched here: the caller moves it on after the commit
   * (`NodeGenerations.leaseCommitted`, fleet/node-generations.ts), so that no row every redemption
   * of a node writes is locked through the commit, and redemptions to one node share group commits.
   * @throws TokenAlreadySpentError when the nullifier is already recorded (nothing is written),
   *   NodeNotActiveError, AddressesExhaustedError; the driver's error when Postgres fails
   */
  async create(args: { nodeId: string; publicKey: string; pools: AddressPools; reserved: readonly string[]; ttlSec: number; random: RandomSource; spend: SpendRecord }): Promise<NewLease> {
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      // A few candidates per call (drawing them costs CPU, and the first is nearly always free);
      // when none was free the call wrote nothing, and the next one tries fresh candidates.
      const candidates = addressCandidates(args.pools, CANDIDATES_PER_TRY, args.random, args.reserved, tried);
      if (candidates.length === 0) break;
      let rows: Row[];
      try {
        rows = await this.ds.query(`SELECT id, ipv4, ipv6, expires_at, superseded FROM lease_create($1, $2, $3::inet[], $4::inet[], $5, $6, $7::date)`, [
          args.nodeId,
          args.publicKey,
          candidates.map((c) => c.ipv4),
          candidates.map((c) => c.ipv6),
          args.ttlSec,
          Buffer.from(args.spend.nullifier),
          args.spend.forgetOn,
        ]);
      } catch (e) {
        const code = pgErrorCode(e);
        if (code === 'PH002') continue;
        if (code === 'PH001') throw new TokenAlreadySpentError();
        if (code === 'PH003') throw new NodeNotActiveError();
        throw e;
      }
      const lease = rows[0];
      if (!lease) break;
      return {
        id: lease.id as string,
        ipv4: lease.ipv4 as string,
        ipv6: (lease.ipv6 as string | null) ?? null,
        expiresAt: lease.expires_at as Date,
        superseded: lease.superseded === true,
      };
    }
    throw new AddressesExhaustedError();
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
   * generation in the same statement (so the removal and its generation commit together, in
   * commit order with every other change of the node). Safe to run on several replicas at once
   * (SKIP LOCKED).
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
           UPDATE node_generation n SET generation = n.generation + 1
           FROM (SELECT DISTINCT node_id FROM gone) g WHERE n.node_id = g.node_id
           RETURNING n.node_id, n.generation
         )
         SELECT g.node_id, g.public_key, b.generation FROM gone g JOIN bumped b ON b.node_id = g.node_id`,
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
