import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type NodeStatus = 'active' | 'dead' | 'decommissioned';

/** bigint columns come back from pg as strings; generations stay far below 2^53. */
export const bigintToNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** A VPN server. Its hot metrics (load, peers) live in Redis; this row is the slow state. */
@Entity({ name: 'node' })
export class NodeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The node's WireGuard public key (unique among nodes that are not decommissioned). */
  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  @Column({ name: 'endpoint_host', type: 'text' })
  endpointHost!: string;

  @Column({ name: 'endpoint_port', type: 'int' })
  endpointPort!: number;

  @Column({ name: 'location_id', type: 'text' })
  locationId!: string;

  @Column({ type: 'int' })
  capacity!: number;

  @Column({ name: 'tunnel_cidr_v4', type: 'cidr' })
  tunnelCidrV4!: string;

  @Column({ name: 'tunnel_cidr_v6', type: 'cidr', nullable: true })
  tunnelCidrV6!: string | null;

  @Column({ type: 'boolean' })
  ephemeral!: boolean;

  @Column({ type: 'text' })
  version!: string;

  /** SHA-256 of the node token; the token itself is never stored. */
  @Column({ name: 'token_hash', type: 'bytea', select: false })
  tokenHash!: Buffer;

  @Column({ type: 'text' })
  status!: NodeStatus;

  @Column({ type: 'boolean' })
  draining!: boolean;

  @Column({ type: 'boolean' })
  healthy!: boolean;

  @Column({ name: 'pulse_interval_sec', type: 'int' })
  pulseIntervalSec!: number;

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt!: Date;

  @Column({ name: 'last_pulse_at', type: 'timestamptz', nullable: true })
  lastPulseAt!: Date | null;

  /** When the node last came back from dead/unhealthy (drives the selection ramp). */
  @Column({ name: 'recovered_at', type: 'timestamptz', nullable: true })
  recoveredAt!: Date | null;

  @Column({ name: 'decommissioned_at', type: 'timestamptz', nullable: true })
  decommissionedAt!: Date | null;

  /** The tenant this node is dedicated to (only its leases land here); null: the shared fleet. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;
}

/**
 * A node's desired-state generation, in a row of its own (not the `node` row, which selection,
 * pulses and the admin update): it moves on after every change of the node's peer set — just after
 * the commit of new leases, inside the transaction of removals (fleet/node-generations.ts).
 */
@Entity({ name: 'node_generation' })
export class NodeGenerationEntity {
  @PrimaryColumn({ name: 'node_id', type: 'uuid' })
  nodeId!: string;

  @Column({ type: 'bigint', transformer: bigintToNumber })
  generation!: number;
}
