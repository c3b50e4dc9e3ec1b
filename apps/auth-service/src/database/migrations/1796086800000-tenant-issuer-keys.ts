import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-tenant Privacy Pass issuers (issue 17 item 4): a tenant's issuer keys are rows of
 * `issuer_keys` with its `tenant_id`; the consumer issuer's keys keep `tenant_id` NULL and behave
 * exactly as before. `not_before` is unique per issuer now (one schedule per issuer), not across
 * the table. A tenant's keys go with the tenant.
 */
export class TenantIssuerKeys1796086800000 implements MigrationInterface {
  name = 'TenantIssuerKeys1796086800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuer_keys ADD COLUMN tenant_id uuid REFERENCES tenants(id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE issuer_keys DROP CONSTRAINT issuer_keys_not_before_key`);
    await q.query(`CREATE UNIQUE INDEX issuer_keys_consumer_not_before ON issuer_keys (not_before) WHERE tenant_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX issuer_keys_tenant_not_before ON issuer_keys (tenant_id, not_before) WHERE tenant_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM issuer_keys WHERE tenant_id IS NOT NULL`);
    await q.query(`DROP INDEX issuer_keys_tenant_not_before`);
    await q.query(`DROP INDEX issuer_keys_consumer_not_before`);
    await q.query(`ALTER TABLE issuer_keys ADD CONSTRAINT issuer_keys_not_before_key UNIQUE (not_before)`);
    await q.query(`ALTER TABLE issuer_keys DROP COLUMN tenant_id`);
  }
}
