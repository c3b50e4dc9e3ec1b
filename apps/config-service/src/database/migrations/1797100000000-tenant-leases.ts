import { MigrationInterface, QueryRunner } from 'typeorm';
import { LeaseCreate1797000000001 } from './1797000000001-lease-create';

/**
 * B2B tenants on the network side (API.md "B2B tenants"). The network side may know which tenant
 * a lease belongs to (from its token's issuer key), never which user:
 * - `lease.tenant_id` (null: a consumer lease) and `lease.release_token_hash`, the SHA-256 of the
 *   random `releaseToken` handed out with the config (`DELETE /vpn/config` ends the lease with it);
 * - `node.tenant_id`: a node dedicated to a tenant (registered with that tenant's enrollment
 *   token); null for the shared fleet. It cannot change while the node is registered;
 * - `tenant_enrollment`: the SHA-256 of each tenant's current node enrollment token;
 * - `lease_create` takes the tenant and the release hash, refuses a node dedicated to another
 *   tenant (or any dedicated node for a consumer lease) like an inactive one (`PH003`), and tells
 *   what it replaced (the tenant and the time span of a superseded lease, for metering).
 */
export class TenantLeases1797100000000 implements MigrationInterface {
  name = 'TenantLeases1797100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE lease ADD COLUMN tenant_id uuid, ADD COLUMN release_token_hash bytea CHECK (octet_length(release_token_hash) = 32)`);
    await q.query(`ALTER TABLE node ADD COLUMN tenant_id uuid`);
    await q.query(`
      CREATE TABLE tenant_enrollment (
        tenant_id   uuid PRIMARY KEY,
        token_hash  bytea NOT NULL CHECK (octet_length(token_hash) = 32),
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`DROP FUNCTION lease_create(uuid, text, inet[], inet[], int, bytea, date)`);
    await q.query(`
      CREATE FUNCTION lease_create(p_node uuid, p_key text, p_ipv4 inet[], p_ipv6 inet[], p_ttl_sec int, p_nullifier bytea, p_forget_on date,
                                   p_tenant uuid, p_release_hash bytea)
      RETURNS TABLE (id uuid, ipv4 text, ipv6 text, expires_at timestamptz, superseded boolean,
                     superseded_tenant uuid, superseded_since timestamptz, superseded_until timestamptz)
      LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        v_superseded boolean;
        v_tenant uuid;
        v_since timestamptz;
        v_until timestamptz;
      BEGIN
        IF cardinality(p_ipv4) IS DISTINCT FROM cardinality(p_ipv6) THEN
          RAISE EXCEPTION 'lease_create: % IPv4 but % IPv6 candidates', cardinality(p_ipv4), cardinality(p_ipv6);
        END IF;
        -- As in 1797000000001: the nullifier first, so a token Redis forgot fails before any lease row is touched.
        INSERT INTO spent_token (nullifier, forget_on) VALUES (p_nullifier, p_forget_on) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'token already spent' USING ERRCODE = 'PH001';
        END IF;
        -- WireGuard has one peer per key: this key's earlier lease on the node is replaced.
        DELETE FROM lease l WHERE l.node_id = p_node AND l.public_key = p_key
          RETURNING l.tenant_id, l.created_at, least(l.expires_at, now()) INTO v_tenant, v_since, v_until;
        v_superseded := FOUND;
        FOR i IN 1 .. coalesce(cardinality(p_ipv4), 0) LOOP
          RETURN QUERY
            INSERT INTO lease AS l (node_id, public_key, ipv4, ipv6, expires_at, tenant_id, release_token_hash)
            VALUES (p_node, p_key, p_ipv4[i], p_ipv6[i], now() + make_interval(secs => p_ttl_sec), p_tenant, p_release_hash)
            ON CONFLICT DO NOTHING
            RETURNING l.id, host(l.ipv4), host(l.ipv6), l.expires_at, v_superseded, v_tenant, v_since, v_until;
          IF FOUND THEN
            -- Still active at the commit, and shared or this tenant's (see 1797000000001 for the lock).
            PERFORM 1 FROM node n WHERE n.id = p_node AND n.status = 'active' AND (n.tenant_id IS NULL OR n.tenant_id = p_tenant) FOR KEY SHARE;
            IF NOT FOUND THEN
              RAISE EXCEPTION 'node % is not active or not open to this lease', p_node USING ERRCODE = 'PH003';
            END IF;
            RETURN;
          END IF;
        END LOOP;
        RAISE EXCEPTION 'no free address among % candidates', coalesce(cardinality(p_ipv4), 0) USING ERRCODE = 'PH002';
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION lease_create(uuid, text, inet[], inet[], int, bytea, date, uuid, bytea)`);
    await q.query(`DROP TABLE tenant_enrollment`);
    await q.query(`ALTER TABLE node DROP COLUMN tenant_id`);
    await q.query(`ALTER TABLE lease DROP COLUMN tenant_id, DROP COLUMN release_token_hash`);
    // The function of 1797000000001 again.
    await new LeaseCreate1797000000001().up(q);
  }
}
