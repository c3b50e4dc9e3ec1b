import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, IsNull, Not } from 'typeorm';
import { IssuerKey } from '../database/entities';
import type { KeyTimes } from './key-schedule';

// One lock for every change to the key schedule, across replicas: the first replica to take it
// creates the next key; the others then see it and create nothing. The consumer issuer's lock;
// each tenant's issuer has its own (the same text with the tenant id appended).
const SCHEDULE_LOCK = "hashtext('phoenix:identity:issuer-keys')";
const TENANT_SCHEDULE_LOCK = "hashtext('phoenix:identity:issuer-keys:' || $1)";

/** What `/token-issuers` needs of a tenant's key: its public half and its times, no private key. */
export type PublicIssuerKey = Omit<IssuerKey, 'encryptedPrivateKey' | 'createdAt' | 'truncatedKeyId'> & { tenantId: string };

/**
 * The keys of one issuer: the consumer issuer (`tenantId` null, what Nest injects) or a tenant's
 * ({@link forTenant}). Every read and write names the issuer, so one issuer's schedule never sees
 * another's keys.
 */
@Injectable()
export class IssuerKeysRepository {
  private tenant: string | null = null;

  constructor(private readonly ds: DataSource) {}

  /** The same store scoped to a tenant's issuer. */
  forTenant(tenantId: string): IssuerKeysRepository {
    const r = new IssuerKeysRepository(this.ds);
    r.tenant = tenantId;
    return r;
  }

  get tenantId(): string | null {
    return this.tenant;
  }

  all(m: EntityManager = this.ds.manager): Promise<IssuerKey[]> {
    return m.find(IssuerKey, { where: { tenantId: this.tenant ?? IsNull() }, order: { notBefore: 'ASC' } });
  }

  /** Runs `fn` in a transaction holding the schedule's advisory lock (released at commit/rollback). */
  withScheduleLock<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      if (this.tenant === null) await m.query(`SELECT pg_advisory_xact_lock(${SCHEDULE_LOCK})`);
      else await m.query(`SELECT pg_advisory_xact_lock(${TENANT_SCHEDULE_LOCK})`, [this.tenant]);
      return fn(m);
    });
  }

  insert(m: EntityManager, key: Omit<IssuerKey, 'createdAt' | 'tenantId'>): Promise<unknown> {
    return m.insert(IssuerKey, { ...key, tenantId: this.tenant });
  }

  updateTimes(m: EntityManager, keyId: string, times: KeyTimes): Promise<unknown> {
    return m.update(IssuerKey, { keyId, tenantId: this.tenant ?? IsNull() }, times);
  }

  remove(m: EntityManager, keyIds: string[]): Promise<unknown> {
    return keyIds.length ? m.delete(IssuerKey, { keyId: In(keyIds), tenantId: this.tenant ?? IsNull() }) : Promise.resolve();
  }

  /** Every tenant issuer's keys, public half only, in one read (the `/token-issuers` listing and the rotation's check). */
  allTenantKeys(): Promise<PublicIssuerKey[]> {
    return this.ds.manager.find(IssuerKey, {
      select: { keyId: true, tenantId: true, tokenKey: true, publishFrom: true, notBefore: true, signsUntil: true, removeAt: true },
      where: { tenantId: Not(IsNull()) },
      order: { notBefore: 'ASC' },
    }) as Promise<PublicIssuerKey[]>;
  }
}
