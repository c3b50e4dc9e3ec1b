import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import { preparedQuery } from '@phoenix/database';
import { DataSource, EntityManager } from 'typeorm';
import type { NodeStatus } from '../database/entities/node.entity';
import { Row, pgErrorCode as pgCode, rowsOf } from '../database/rows';
import { EndedTenantLease, tenantLeasesOf } from '../leases/leases.repository';

/** What authenticates a node's request, read together with its generation. */
export interface NodeCredentials {
  status: NodeStatus;
  tokenHash: Buffer;
  generation: number;
}

/** A node row as the services use it (no token hash). */
export interface NodeRecord {
  id: string;
  publicKey: string;
  endpointHost: string;
  endpointPort: number;
  locationId: string;
  capacity: number;
  tunnelCidrV4: string;
  tunnelCidrV6: string | null;
  ephemeral: boolean;
  version: string;
  status: NodeStatus;
  draining: boolean;
  healthy: boolean;
  pulseIntervalSec: number;
  registeredAt: Date;
  lastPulseAt: Date | null;
  recoveredAt: Date | null;
  /** The tenant this node is dedicated to; null: the shared fleet. */
  tenantId: string | null;
}

/** A node row with its desired-state generation (from `node_generation`), for the admin views. */
export type ListedNode = NodeRecord & { generation: number };

/** What a registration stores: the node's own description, plus the hash of its new token. */
export type RegisterNodeInput = Pick<
  NodeRecord,
  'publicKey' | 'endpointHost' | 'endpointPort' | 'locationId' | 'capacity' | 'tunnelCidrV4' | 'tunnelCidrV6' | 'ephemeral' | 'version' | 'pulseIntervalSec' | 'tenantId'
> & { tokenHash: Buffer };

export interface LeasePeer {
  publicKey: string;
  ipv4: string;
  ipv6: string | null;
  expiresAt: Date;
  tenantId: string | null;
}

const NODE_COLUMNS = `id, public_key, endpoint_host, endpoint_port, location_id, capacity, host(tunnel_cidr_v4) || '/' || masklen(tunnel_cidr_v4) AS tunnel_cidr_v4,
  CASE WHEN tunnel_cidr_v6 IS NULL THEN NULL ELSE host(tunnel_cidr_v6) || '/' || masklen(tunnel_cidr_v6) END AS tunnel_cidr_v6,
  ephemeral, version, status, draining, healthy, pulse_interval_sec, registered_at, last_pulse_at, recovered_at, tenant_id`;

/** {@link NODE_COLUMNS} and the node's generation, over `node`. */
const LISTED_COLUMNS = `${NODE_COLUMNS}, (SELECT g.generation FROM node_generation g WHERE g.node_id = node.id) AS generation`;

function toNode(r: Row): NodeRecord {
  return {
    id: r.id as string,
    publicKey: r.public_key as string,
    endpointHost: r.endpoint_host as string,
    endpointPort: r.endpoint_port as number,
    locationId: r.location_id as string,
    capacity: r.capacity as number,
    tunnelCidrV4: r.tunnel_cidr_v4 as string,
    tunnelCidrV6: (r.tunnel_cidr_v6 as string | null) ?? null,
    ephemeral: r.ephemeral as boolean,
    version: r.version as string,
    status: r.status as NodeStatus,
    draining: r.draining as boolean,
    healthy: r.healthy as boolean,
    pulseIntervalSec: r.pulse_interval_sec as number,
    registeredAt: r.registered_at as Date,
    lastPulseAt: (r.last_pulse_at as Date | null) ?? null,
    recoveredAt: (r.recovered_at as Date | null) ?? null,
    tenantId: (r.tenant_id as string | null) ?? null,
  };
}

function toListed(r: Row): ListedNode {
  return { ...toNode(r), generation: Number(r.generation ?? 0) };
}

/** When nodes die, are decommissioned, and how old an ephemeral node may get (seconds). */
export interface ReapPolicy {
  deadAfterSec: number;
  graceSec: number;
  ephemeralMaxAgeSec: number;
}

export interface ReapCandidate {
  id: string;
  ephemeral: boolean;
  status: NodeStatus;
  /** No pulse for `deadAfterSec`. */
  silent: boolean;
  /** No pulse for `deadAfterSec + graceSec`. */
  pastGrace: boolean;
  /** Registered at least `ephemeralMaxAgeSec` ago. */
  aged: boolean;
}

export interface EndedNode {
  /** The node's generation after the change. */
  generation: number;
  /** The peers whose leases ended. */
  removed: string[];
  /** The tenants' leases among them, held until now. */
  tenantLeases: EndedTenantLease[];
  /** The node moved to the requested status (false: it was there already, or it pulsed in between). */
  moved: boolean;
}

function seconds(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a whole number of seconds: ${n}`);
  return String(n);
}

/** SQL over a node row: no pulse (nor registration) for `sec` seconds. */
export function silentFor(sec: number): string {
  return `(COALESCE(last_pulse_at, registered_at) < now() - make_interval(secs => ${seconds(sec)}))`;
}

/** SQL over a node row: first registered at least `sec` seconds ago. */
export function olderThan(sec: number): string {
  return `(registered_at <= now() - make_interval(secs => ${seconds(sec)}))`;
}

/** What ending a node's leases returns of each: the peer, and a tenant lease's span (held until now or its expiry). */
const ENDED_LEASE = `public_key, tenant_id, created_at, least(expires_at, now()) AS ended_at`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Postgres access for nodes. Hot metrics (load, peers) are in {@link NodeMetricsStore}. */
@Injectable()
export class NodesRepository {
  constructor(private readonly ds: DataSource) {}

  static isNodeId(id: string): boolean {
    return UUID.test(id);
  }

  /**
   * Registers a node, idempotently per public key: the same key again updates the row (new token,
   * endpoint, capacity, version, location) and answers `created: false`. A node's tunnel pools
   * cannot change while it is registered (leases hold addresses from them).
   */
  async register(input: RegisterNodeInput): Promise<{ node: NodeRecord; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ds.transaction((em) => this.registerIn(em, input));
      } catch (e) {
        // Two registrations of a new key raced: the loser updates the winner's row.
        if (pgCode(e) === '23505' && attempt === 0) continue;
        if (pgCode(e) === '23503') throw new AppError(ErrorCode.UNKNOWN_LOCATION, `unknown location ${input.locationId}`);
        throw e;
      }
    }
  }

  private async registerIn(em: EntityManager, i: RegisterNodeInput): Promise<{ node: NodeRecord; created: boolean }> {
    const existing: Row[] = await em.query(
      `SELECT id, tunnel_cidr_v4::text AS v4, tunnel_cidr_v6::text AS v6, tenant_id FROM node WHERE public_key = $1 AND status <> 'decommissioned' FOR UPDATE`,
      [i.publicKey],
    );
    const found = existing[0];
    if (found) {
      const same: Row[] = await em.query(`SELECT ($1::cidr = $2::cidr) AND ($3::cidr IS NOT DISTINCT FROM $4::cidr) AS same`, [found.v4, i.tunnelCidrV4, found.v6, i.tunnelCidrV6]);
      if (!same[0]?.same) {
        throw new AppError(ErrorCode.CONFLICT, 'a registered node cannot change its tunnel pools; decommission it first');
      }
      // Its leases belong to its tenant (or to the shared fleet's clients): no switching sides.
      if (((found.tenant_id as string | null) ?? null) !== i.tenantId) {
        throw new AppError(ErrorCode.CONFLICT, 'a registered node cannot change the tenant it is dedicated to; decommission it first');
      }
      const rows = rowsOf(
        await em.query(
        `UPDATE node SET endpoint_host = $2, endpoint_port = $3, location_id = $4, capacity = $5, ephemeral = $6, version = $7,
           token_hash = $8, pulse_interval_sec = $9
         WHERE id = $1 RETURNING ${NODE_COLUMNS}`,
        [found.id, i.endpointHost, i.endpointPort, i.locationId, i.capacity, i.ephemeral, i.version, i.tokenHash, i.pulseIntervalSec],
        ),
      );
      return { node: toNode(rows[0] as Row), created: false };
    }
    const rows: Row[] = await em.query(
      `INSERT INTO node (public_key, endpoint_host, endpoint_port, location_id, capacity, tunnel_cidr_v4, tunnel_cidr_v6, ephemeral, version, token_hash, pulse_interval_sec, tenant_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${NODE_COLUMNS}`,
      [i.publicKey, i.endpointHost, i.endpointPort, i.locationId, i.capacity, i.tunnelCidrV4, i.tunnelCidrV6, i.ephemeral, i.version, i.tokenHash, i.pulseIntervalSec, i.tenantId],
    );
    const node = toNode(rows[0] as Row);
    await em.query(`INSERT INTO node_generation (node_id) VALUES ($1)`, [node.id]);
    return { node, created: true };
  }

  /** Stores the hash of a tenant's node enrollment token, replacing the one it had. */
  async setTenantEnrollment(tenantId: string, tokenHash: Buffer): Promise<void> {
    await this.ds.query(
      `INSERT INTO tenant_enrollment (tenant_id, token_hash) VALUES ($1, $2)
       ON CONFLICT (tenant_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now()`,
      [tenantId, tokenHash],
    );
  }

  /** The hash of a tenant's node enrollment token, or null when it has none. */
  async tenantEnrollment(tenantId: string): Promise<Buffer | null> {
    if (!UUID.test(tenantId)) return null;
    const rows: Row[] = await this.ds.query(`SELECT token_hash FROM tenant_enrollment WHERE tenant_id = $1`, [tenantId]);
    return (rows[0]?.token_hash as Buffer | undefined) ?? null;
  }

  /**
   * The node's status, token hash and generation, for authenticating node requests: one read that
   * also answers a conditional peer-set pull (its generation), so a `304` costs one query.
   */
  async credentials(id: string): Promise<NodeCredentials | null> {
    if (!NodesRepository.isNodeId(id)) return null;
    // Every pulse and peer-set pull of every node asks: prepared (see preparedQuery).
    const rows = await preparedQuery(this.ds, 'node_credentials', `SELECT n.status, n.token_hash, COALESCE(g.generation, 0) AS generation FROM node n LEFT JOIN node_generation g ON g.node_id = n.id WHERE n.id = $1`, [id]);
    const r = rows[0];
    return r ? { status: r.status as NodeStatus, tokenHash: r.token_hash as Buffer, generation: Number(r.generation) } : null;
  }

  /**
   * Records a pulse on the node's row (`node_pulse`, migration 1797200000000: a dead node comes
   * back to `active`, one back from dead, unhealthy or silent gets `recovered_at`; committed without
   * waiting for the disk). `changed` says whether the pulse changed what selection reads from the
   * row (health, a dead node back to active, a recovery): only then do cached rows need dropping.
   * @returns the node's generation, or null when it is decommissioned or unknown
   */
  async recordPulse(id: string, healthy: boolean): Promise<{ generation: number; locationId: string; changed: boolean } | null> {
    const list = await preparedQuery(this.ds, 'node_pulse', `SELECT generation, location_id, changed FROM node_pulse($1, $2)`, [id, healthy]);
    return list[0] ? { generation: Number(list[0].generation), locationId: list[0].location_id as string, changed: list[0].changed === true } : null;
  }

  /** Nodes that may take leases in `location` (`auto`: anywhere); eligibility is decided by selection. */
  async activeNodes(location: string): Promise<NodeRecord[]> {
    const rows: Row[] =
      location === 'auto'
        ? await this.ds.query(`SELECT ${NODE_COLUMNS} FROM node WHERE status = 'active'`)
        : await this.ds.query(`SELECT ${NODE_COLUMNS} FROM node WHERE status = 'active' AND location_id = $1`, [location]);
    return rows.map(toNode);
  }

  async list(): Promise<ListedNode[]> {
    return (await this.ds.query(`SELECT ${LISTED_COLUMNS} FROM node ORDER BY registered_at`)).map(toListed);
  }

  async get(id: string): Promise<ListedNode | null> {
    if (!NodesRepository.isNodeId(id)) return null;
    const rows: Row[] = await this.ds.query(`SELECT ${LISTED_COLUMNS} FROM node WHERE id = $1`, [id]);
    return rows[0] ? toListed(rows[0]) : null;
  }

  /** Stops new leases on a node (existing ones stay). */
  async drain(id: string): Promise<ListedNode | null> {
    if (!NodesRepository.isNodeId(id)) return null;
    const list = rowsOf(await this.ds.query(`UPDATE node SET draining = true WHERE id = $1 RETURNING ${LISTED_COLUMNS}`, [id]));
    return list[0] ? toListed(list[0]) : null;
  }

  /**
   * Decommissions a node: its leases end (deleted), its generation moves on, and the row stays as a
   * tombstone so the node's daemon learns `410` and shuts its interface.
   * @returns the removed peers' keys and the new generation; null for an unknown node
   */
  async decommission(id: string): Promise<{ generation: number; removed: string[]; tenantLeases: EndedTenantLease[] } | null> {
    if (!NodesRepository.isNodeId(id)) return null;
    return this.ds.transaction(async (em) => {
      // Leases first, then the node row, then its generation: the expiry statement locks leases
      // then generations, and redemptions leases then (key share) the node row, so the same order
      // here cannot deadlock with either. FOR UPDATE waits for the redemptions in flight on this
      // node (lease_create key-share locks the row); the second DELETE catches what they
      // committed, and none can follow (having waited for us, they see the node decommissioned).
      const first = rowsOf(await em.query(`DELETE FROM lease WHERE node_id = $1 RETURNING ${ENDED_LEASE}`, [id]));
      await em.query(`SELECT 1 FROM node WHERE id = $1 FOR UPDATE`, [id]);
      const rows = rowsOf(
        await em.query(
          `UPDATE node SET status = 'decommissioned', draining = true, healthy = false,
             decommissioned_at = COALESCE(decommissioned_at, now())
           WHERE id = $1 RETURNING id`,
          [id],
        ),
      );
      if (!rows[0]) return null;
      const second = rowsOf(await em.query(`DELETE FROM lease WHERE node_id = $1 RETURNING ${ENDED_LEASE}`, [id]));
      const generation = await this.bumpIn(em, id);
      return { generation, removed: [...first, ...second].map((r) => r.public_key as string), tenantLeases: tenantLeasesOf([...first, ...second], 'ended_at') };
    });
  }

  /**
   * The desired peer set, read in one snapshot so `generation` matches `peers`. Expired leases are
   * never listed, even before the expiry job deletes them.
   */
  async peerSet(id: string): Promise<{ status: NodeStatus; generation: number; peers: LeasePeer[] } | null> {
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction('REPEATABLE READ');
      const node: Row[] = await qr.query(`SELECT n.status, g.generation FROM node n JOIN node_generation g ON g.node_id = n.id WHERE n.id = $1`, [id]);
      const leases: Row[] = node[0]
        ? await qr.query(
            `SELECT public_key, host(ipv4) AS ipv4, host(ipv6) AS ipv6, expires_at, tenant_id FROM lease WHERE node_id = $1 AND expires_at > now() ORDER BY created_at`,
            [id],
          )
        : [];
      await qr.commitTransaction();
      if (!node[0]) return null;
      return {
        status: node[0].status as NodeStatus,
        generation: Number(node[0].generation),
        peers: leases.map((l) => ({
          publicKey: l.public_key as string,
          ipv4: l.ipv4 as string,
          ipv6: (l.ipv6 as string | null) ?? null,
          expiresAt: l.expires_at as Date,
          tenantId: (l.tenant_id as string | null) ?? null,
        })),
      };
    } catch (e) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await qr.release();
    }
  }

  /**
   * The nodes {@link reapOne} may have to act on: silent for `deadAfterSec` (not yet
   * decommissioned), or ephemeral and `ephemeralMaxAgeSec` old. Read without locks; each action
   * checks its condition again.
   */
  async reapCandidates(policy: ReapPolicy): Promise<ReapCandidate[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT id, ephemeral, status, ${silentFor(policy.deadAfterSec)} AS silent,
         ${silentFor(policy.deadAfterSec + policy.graceSec)} AS past_grace, ${olderThan(policy.ephemeralMaxAgeSec)} AS aged
       FROM node
       WHERE status <> 'decommissioned' AND (${silentFor(policy.deadAfterSec)} OR (ephemeral AND ${olderThan(policy.ephemeralMaxAgeSec)}))
       ORDER BY registered_at`,
    );
    return rows.map((r) => ({ id: r.id as string, ephemeral: r.ephemeral as boolean, status: r.status as NodeStatus, silent: r.silent as boolean, pastGrace: r.past_grace as boolean, aged: r.aged as boolean }));
  }

  /**
   * Ends a node's leases and moves it to `to` if `when` (SQL over the node row) still holds;
   * leases of a node already in `to` (`dead` only) are ended too. Idempotent: a second call finds
   * nothing to change and returns null. Same lock order as {@link decommission} (leases, then the
   * node row, then leases committed in between), so it cannot deadlock with expiry or redemption;
   * a node that pulsed in between keeps its status (but a lease ended is ended: its generation
   * still moves on).
   * @returns the removed peers, the generation after the change and whether the status changed;
   *   null when nothing changed
   */
  async endNode(id: string, to: 'dead' | 'decommissioned', when: string): Promise<EndedNode | null> {
    return this.ds.transaction(async (em) => {
      const leaseWhen = to === 'dead' ? `(status = 'dead' OR (${when}))` : `(${when})`;
      const first = rowsOf(
        await em.query(`DELETE FROM lease WHERE node_id = $1 AND EXISTS (SELECT 1 FROM node WHERE id = $1 AND status <> 'decommissioned' AND ${leaseWhen}) RETURNING ${ENDED_LEASE}`, [id]),
      );
      // As in decommission: waits for the redemptions in flight on this node (see there).
      await em.query(`SELECT 1 FROM node WHERE id = $1 FOR UPDATE`, [id]);
      const moves = `status <> 'decommissioned' AND status <> '${to}' AND (${when})`;
      const extra = to === 'decommissioned' ? `, draining = CASE WHEN ${moves} THEN true ELSE draining END, decommissioned_at = CASE WHEN ${moves} THEN now() ELSE decommissioned_at END` : '';
      const rows = rowsOf(
        await em.query(
          `UPDATE node SET status = CASE WHEN ${moves} THEN '${to}' ELSE status END,
             healthy = CASE WHEN ${moves} THEN false ELSE healthy END${extra}
           WHERE id = $1 AND ((${moves}) OR $2::int > 0)
           RETURNING status, (SELECT o.status FROM node o WHERE o.id = $1) AS was`,
          [id, first.length],
        ),
      );
      const row = rows[0];
      if (!row) return null;
      // A lease a redemption committed before our lock (it made us wait for its commit; none can
      // follow ours: it needs the node active).
      const second = row.status === to ? rowsOf(await em.query(`DELETE FROM lease WHERE node_id = $1 RETURNING ${ENDED_LEASE}`, [id])) : [];
      const generation = await this.bumpIn(em, id);
      return {
        generation,
        removed: [...first, ...second].map((r) => r.public_key as string),
        tenantLeases: tenantLeasesOf([...first, ...second], 'ended_at'),
        moved: row.status === to && row.was !== to,
      };
    });
  }

  /**
   * Moves the node's generation on inside a transaction that removes its leases, so the removal and
   * its generation commit together (the lock is held to the commit, which is fine for these rare
   * changes; new leases move it on after their commit: see NodeGenerations).
   */
  private async bumpIn(em: EntityManager, id: string): Promise<number> {
    const rows = rowsOf(await em.query(`UPDATE node_generation SET generation = generation + 1 WHERE node_id = $1 RETURNING generation`, [id]));
    return Number(rows[0]?.generation ?? 0);
  }

}
