import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One WireGuard peer on one node until `expiresAt`. Deliberately holds no user id, no token and no
 * client address (privacy invariant 2) — a tenant id at most; it is deleted, never archived, when it
 * expires or is released (invariant 5).
 */
@Entity({ name: 'lease' })
export class LeaseEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'node_id', type: 'uuid' })
  nodeId!: string;

  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  /** Tunnel addresses; unique per node (database constraints arbitrate between replicas). */
  @Column({ type: 'inet' })
  ipv4!: string;

  @Column({ type: 'inet', nullable: true })
  ipv6!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** The tenant whose issuer signed the token (B2B); null for a consumer lease. Never a user. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;

  /** SHA-256 of the `releaseToken` handed out with the config (`DELETE /vpn/config`). */
  @Column({ name: 'release_token_hash', type: 'bytea', nullable: true, select: false })
  releaseTokenHash!: Buffer | null;
}
