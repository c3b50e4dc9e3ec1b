import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metered billing of tenants (issue 17 item 6): a tenant's optional Stripe customer, and what the
 * monthly usage report (`identity.billing.tenant-usage`) sent to Stripe — one row per tenant, month
 * and metric, claimed (`sending`) before the meter event is sent, then `sent` (final) or `failed`
 * (a later delivery claims it again and resends the same value and event time), so that no delivery
 * of the command, replica or later run reports a month's metric twice. Tenant totals only: nothing
 * per user or device.
 */
export class TenantBilling1796090400000 implements MigrationInterface {
  name = 'TenantBilling1796090400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tenants ADD COLUMN stripe_customer_id text CHECK (stripe_customer_id ~ '^cus_[A-Za-z0-9]{1,250}$')`);
    await q.query(`
      CREATE TABLE tenant_usage_reports (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        month char(7) NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
        metric text NOT NULL CHECK (metric IN ('connections', 'connection_hours', 'gigabytes')),
        stripe_customer_id text NOT NULL,
        event_name text NOT NULL,
        value numeric NOT NULL CHECK (value > 0),
        identifier text NOT NULL,
        idempotency_key text NOT NULL,
        event_time timestamptz NOT NULL,
        state text NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
        claimed_at timestamptz NOT NULL,
        sent_at timestamptz,
        PRIMARY KEY (tenant_id, month, metric)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenant_usage_reports`);
    await q.query(`ALTER TABLE tenants DROP COLUMN stripe_customer_id`);
  }
}
