import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { preparedQuery } from '@phoenix/database';
import type { RandomSource } from '@phoenix/wireguard';
import { DataSource } from 'typeorm';
import { Row, pgErrorCode, rowsOf } from '../database/rows';
import { AddressPools, addressCandidates } from './address-candidates';
import { AddressesExhaustedError, NodeNotActiveError, TokenAlreadySpentError } from './leases.errors';

export interface NewLease {
  id: string;
  ipv4: string;
  ipv6: string | null;
  expiresAt: Date;
  /** A previous lease of the same key on this node was replaced. */
  superseded: boolean;
  /** The replaced lease, when it was a tenant's (it ended: metered as held until now). */
  supersededTenantLease: EndedTenantLease | null;
}

/** A tenant's lease that ended, and the span it was held (metering: `TenantUsageStore.held`). */
export interface EndedTenantLease {
  tenantId: string;
  from: Date;
  to: Date;
}

/** A lease ended with its release token (`DELETE /vpn/config`). */
export interface ReleasedLease {
  nodeId: string;
  publicKey: string;
  /** The node's generation after the removal (bumped in the same transaction). */
  generation: number;
  tenantLease: EndedTenantLease | null;
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
  /** The tenants' leases among them, held until they expired. */
  tenantLeases: EndedTenantLease[];
}

/** Tenant leases out of rows with `tenant_id`, `created_at` and an end column. */
export function tenantLeasesOf(rows: Row[], end: string): EndedTenantLease[] {
  return rows.filter((r) => r.tenant_id != null).map((r) => ({ tenantId: r.tenant_id as string, from: r.created_at as Date, to: r[end] as Date }));
}

/** Candidates per `lease_create` call, and calls before giving up. */
const CANDIDATES_PER_TRY = 4;
const MAX_TRIES = 8;
const EXPIRE_BATCH = 1000;
const FORGET_BATCH = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  async create(args: {
    nodeId: string;
    publicKey: string;
    pools: AddressPools;
    reserved: readonly string[];
    ttlSec: number;
    random: RandomSource;
    spend: SpendRecord;
    /** The tenant of the token's issuer; null for a consumer token. */
    tenantId: string | null;
    /** SHA-256 of the lease's release token. */
    releaseTokenHash: Buffer;
  }): Promise<NewLease> {
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      // A few candidates per call (drawing them costs CPU, and the first is nearly always free);
      // when none was free the call wrote nothing, and the next one tries fresh candidates.
      const candidates = addressCandidates(args.pools, CANDIDATES_PER_TRY, args.random, args.reserved, tried);
      if (candidates.length === 0) break;
      let rows: Row[];
      try {
        // Every redemption runs it: prepared once per connection (pgbench's reference is prepared too).
        rows = await preparedQuery(
          this.ds,
          'lease_create',
          `SELECT id, ipv4, ipv6, expires_at, superseded, superseded_tenant, superseded_since, superseded_until
           FROM lease_create($1, $2, $3::inet[], $4::inet[], $5, $6, $7::date, $8::uuid, $9)`,
          [
          args.nodeId,
          args.publicKey,
          candidates.map((c) => c.ipv4),
          candidates.map((c) => c.ipv6),
          args.ttlSec,
          Buffer.from(args.spend.nullifier),
          args.spend.forgetOn,
          args.tenantId,
          args.releaseTokenHash,
          ],
        );
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
        supersededTenantLease:
          lease.superseded_tenant != null ? { tenantId: lease.superseded_tenant as string, from: lease.superseded_since as Date, to: lease.superseded_until as Date } : null,
      };
    }
    throw new AddressesExhaustedError();
  }

  /**
   * Ends a live lease whose release token hashes to `tokenHash` (compared in constant time): the
   * row is deleted and its node's generation bumped in one transaction (the lease row locked
   * first, then the generation: the order of expiry and decommission).
   * @returns the removed peer and the new generation; null for an unknown, ended (expired, even
   *   if not deleted yet) or differently keyed lease — one answer for all three
   */
  async release(leaseId: string, tokenHash: Buffer): Promise<ReleasedLease | null> {
    if (!UUID.test(leaseId)) return null;
    return this.ds.transaction(async (em) => {
      const held: Row[] = await em.query(`SELECT release_token_hash FROM lease WHERE id = $1 AND expires_at > now() FOR UPDATE`, [leaseId]);
      const stored = held[0]?.release_token_hash as Buffer | null | undefined;
      if (!stored || stored.length !== tokenHash.length || !timingSafeEqual(stored, tokenHash)) return null;
      const rows = rowsOf(
        await em.query(
          `WITH gone AS (
             DELETE FROM lease WHERE id = $1 RETURNING node_id, public_key, tenant_id, created_at, now() AS ended_at
           ), bumped AS (
             UPDATE node_generation n SET generation = n.generation + 1 FROM gone g WHERE n.node_id = g.node_id RETURNING n.generation
           )
           SELECT g.node_id, g.public_key, g.tenant_id, g.created_at, g.ended_at, b.generation FROM gone g CROSS JOIN bumped b`,
          [leaseId],
        ),
      );
      const r = rows[0];
      if (!r) return null;
      return {
        nodeId: r.node_id as string,
        publicKey: r.public_key as string,
        generation: Number(r.generation),
        tenantLease: tenantLeasesOf([r], 'ended_at')[0] ?? null,
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
           RETURNING node_id, public_key, tenant_id, created_at, expires_at
         ), bumped AS (
           UPDATE node_generation n SET generation = n.generation + 1
           FROM (SELECT DISTINCT node_id FROM gone) g WHERE n.node_id = g.node_id
           RETURNING n.node_id, n.generation
         )
         SELECT g.node_id, g.public_key, g.tenant_id, g.created_at, g.expires_at, b.generation FROM gone g JOIN bumped b ON b.node_id = g.node_id`,
        [EXPIRE_BATCH],
      );
      for (const r of rows) {
        const nodeId = r.node_id as string;
        const entry = byNode.get(nodeId) ?? { nodeId, generation: 0, removed: [], tenantLeases: [] };
        entry.generation = Number(r.generation);
        entry.removed.push(r.public_key as string);
        entry.tenantLeases.push(...tenantLeasesOf([r], 'expires_at'));
        byNode.set(nodeId, entry);
      }
      events.push(...byNode.values());
      if (rows.length < EXPIRE_BATCH) break;
    }
    return events;
  }
}
