import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * B2B tenants (issue 17, API.md "B2B tenants"): tenants with plan limits, their API keys (only a
 * hash), their users (argon2id hashes), refresh-token families (only hashes) and devices. Every
 * tenant-scoped row carries `tenant_id`. No WireGuard key, address or connection of a device is
 * stored on the identity side (ARCHITECTURE.md: the two sides must not be joinable).
 */
export class Tenants1796083200000 implements MigrationInterface {
  name = 'Tenants1796083200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('active', 'suspended')),
        max_users integer NOT NULL CHECK (max_users > 0),
        max_devices_per_user integer NOT NULL CHECK (max_devices_per_user > 0),
        tokens_per_device_per_day integer NOT NULL CHECK (tokens_per_device_per_day > 0),
        lease_ttl_hours integer NOT NULL CHECK (lease_ttl_hours > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tenant_api_keys (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        prefix text NOT NULL UNIQUE,
        key_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX tenant_api_keys_tenant_idx ON tenant_api_keys (tenant_id, created_at)`);
    await q.query(`
      CREATE TABLE tenant_users (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        email text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant_id, email)
      )`);
    await q.query(`
      CREATE TABLE tenant_refresh_tokens (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES tenant_users(id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash char(64) NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tenant_refresh_tokens_family_idx ON tenant_refresh_tokens (family_id)`);
    await q.query(`
      CREATE TABLE tenant_devices (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES tenant_users(id) ON DELETE CASCADE,
        device_name text NOT NULL,
        platform text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX tenant_devices_user_idx ON tenant_devices (tenant_id, user_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_devices`);
    await q.query(`DROP TABLE tenant_refresh_tokens`);
    await q.query(`DROP TABLE tenant_users`);
    await q.query(`DROP TABLE tenant_api_keys`);
    await q.query(`DROP TABLE tenants`);
  }
}
