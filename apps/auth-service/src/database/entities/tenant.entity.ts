import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A business offering Phoenix to its own users (API.md "B2B tenants"), with its plan limits. */
@Entity({ name: 'tenants' })
export class Tenant {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  status!: 'active' | 'suspended';

  @Column({ name: 'max_users', type: 'integer' })
  maxUsers!: number;

  @Column({ name: 'max_devices_per_user', type: 'integer' })
  maxDevicesPerUser!: number;

  @Column({ name: 'tokens_per_device_per_day', type: 'integer' })
  tokensPerDevicePerDay!: number;

  @Column({ name: 'lease_ttl_hours', type: 'integer' })
  leaseTtlHours!: number;

  /** Its Stripe customer (`cus_…`), the one the monthly usage report bills; null: not billed by meter. */
  @Column({ name: 'stripe_customer_id', type: 'text', nullable: true })
  stripeCustomerId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** A tenant's API key: its visible prefix and SHA-256 of the whole key (never the key itself). */
@Entity({ name: 'tenant_api_keys' })
export class TenantApiKey {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text', unique: true })
  prefix!: string;

  @Column({ name: 'key_hash', type: 'char', length: 64 })
  keyHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}

/** An end user of a tenant: email (unique within the tenant) and an argon2id hash. */
@Entity({ name: 'tenant_users' })
export class TenantUser {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** One refresh token (SHA-256 only) of a family; single use, a reused one revokes its family. */
@Entity({ name: 'tenant_refresh_tokens' })
export class TenantRefreshToken {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId!: string;

  @Column({ name: 'token_hash', type: 'char', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A tenant user's device: a name and a platform. No WireGuard key, address or connection. */
@Entity({ name: 'tenant_devices' })
export class TenantDevice {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'device_name', type: 'text' })
  deviceName!: string;

  @Column({ type: 'text' })
  platform!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
