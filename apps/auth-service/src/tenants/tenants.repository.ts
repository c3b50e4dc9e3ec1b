import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import { DataSource, IsNull, Not } from 'typeorm';
import { Tenant, TenantApiKey } from '../database/entities';
import { newApiKey } from './secrets';
import { type TenantPlan, UUID } from './tenant-plan';

/** The key a request presented, as found by its prefix, with its tenant. */
export interface KeyLookup {
  key: TenantApiKey;
  tenant: Tenant;
}

/**
 * The operator's view: tenants and their API keys, addressed by tenant id from the admin path.
 * Tenant-scoped data (users, tokens, devices) is never reached from here — only through
 * {@link TenantScope}, which takes the tenant from an authenticated API key.
 */
@Injectable()
export class TenantsRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * The DataSource connects in the background (PostgresModule); until it has, TypeORM would throw
   * a metadata error (a 500). Said as what it is: the database is not there yet, `503`.
   */
  private ready(): void {
    if (!this.ds.isInitialized) throw new AppError(ErrorCode.UNAVAILABLE, 'identity database not connected yet');
  }

  async create(name: string, plan: TenantPlan, now: Date, stripeCustomerId: string | null = null): Promise<Tenant> {
    this.ready();
    const t = this.ds.manager.create(Tenant, { id: randomUUID(), name, status: 'active', ...plan, stripeCustomerId, createdAt: now, updatedAt: now });
    return this.ds.manager.save(t);
  }

  /** Sets (or with null clears) the tenant's Stripe customer, the one the monthly usage report bills. @throws 404 */
  async setStripeCustomer(id: string, stripeCustomerId: string | null, now: Date): Promise<Tenant> {
    const t = await this.get(id);
    await this.ds.manager.update(Tenant, { id: t.id }, { stripeCustomerId, updatedAt: now });
    return { ...t, stripeCustomerId, updatedAt: now };
  }

  /** Every tenant with a Stripe customer (suspended ones too: their usage happened), by id. */
  billed(): Promise<Array<Pick<Tenant, 'id' | 'stripeCustomerId'>>> {
    this.ready();
    return this.ds.manager.find(Tenant, { select: { id: true, stripeCustomerId: true }, where: { stripeCustomerId: Not(IsNull()) }, order: { id: 'ASC' } });
  }

  list(): Promise<Tenant[]> {
    this.ready();
    return this.ds.manager.find(Tenant, { order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** @throws 404 NOT_FOUND for an unknown (or malformed) id */
  async get(id: string): Promise<Tenant> {
    this.ready();
    const t = UUID.test(id) ? await this.ds.manager.findOne(Tenant, { where: { id } }) : null;
    if (!t) throw new AppError(ErrorCode.NOT_FOUND, 'no such tenant');
    return t;
  }

  async setStatus(id: string, status: Tenant['status'], now: Date): Promise<Tenant> {
    const t = await this.get(id);
    await this.ds.manager.update(Tenant, { id: t.id }, { status, updatedAt: now });
    return { ...t, status, updatedAt: now };
  }

  /** A new key for the tenant; the clear key is in the answer only. */
  async issueKey(tenantId: string, now: Date): Promise<{ row: TenantApiKey; apiKey: string }> {
    const t = await this.get(tenantId);
    // The prefix is unique; a collision of 48 random bits is next to impossible, but retried.
    for (let attempt = 0; attempt < 3; attempt++) {
      const k = newApiKey();
      const rows: unknown[] = await this.ds.query(
        `INSERT INTO tenant_api_keys (id, tenant_id, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (prefix) DO NOTHING RETURNING id`,
        [randomUUID(), t.id, k.prefix, k.hash, now],
      );
      if (rows.length === 1) {
        const row = await this.ds.manager.findOneOrFail(TenantApiKey, { where: { prefix: k.prefix } });
        return { row, apiKey: k.apiKey };
      }
    }
    throw new AppError(ErrorCode.INTERNAL, 'could not issue a unique API key prefix');
  }

  async keys(tenantId: string): Promise<TenantApiKey[]> {
    const t = await this.get(tenantId);
    return this.ds.manager.find(TenantApiKey, { where: { tenantId: t.id }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Revokes a key of this tenant (idempotent). @throws 404 when the tenant has no such key */
  async revokeKey(tenantId: string, keyId: string, now: Date): Promise<void> {
    const t = await this.get(tenantId);
    const key = UUID.test(keyId) ? await this.ds.manager.findOne(TenantApiKey, { where: { id: keyId, tenantId: t.id } }) : null;
    if (!key) throw new AppError(ErrorCode.NOT_FOUND, 'no such API key');
    await this.ds.query(`UPDATE tenant_api_keys SET revoked_at = $3 WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL`, [key.id, t.id, now]);
  }

  /** The key with this visible prefix and its tenant, if any (the caller compares the hash). */
  async byPrefix(prefix: string): Promise<KeyLookup | null> {
    this.ready();
    const key = await this.ds.manager.findOne(TenantApiKey, { where: { prefix } });
    if (!key) return null;
    const tenant = await this.ds.manager.findOne(Tenant, { where: { id: key.tenantId } });
    return tenant ? { key, tenant } : null;
  }
}
