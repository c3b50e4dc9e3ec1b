import { randomUUID } from 'node:crypto';
import { AppError, ErrorCode } from '@phoenix/common';
import type { DataSource, EntityManager } from 'typeorm';
import { TenantDevice, TenantRefreshToken, TenantUser } from '../database/entities';
import { UUID } from './tenant-plan';

const UNIQUE_VIOLATION = '23505';

export type RefreshClaim =
  | { outcome: 'ok'; token: TenantRefreshToken }
  | { outcome: 'unknown' }
  /** Used before or revoked: the whole family is revoked now. */
  | { outcome: 'reused' }
  | { outcome: 'expired' };

/**
 * The one repository layer for tenant-scoped data. An instance is bound to the tenant of the API
 * key that authenticated the request (only `ApiKeyGuard` makes one) and every query it runs has
 * `tenant_id = <that tenant>` in it: ids of another tenant's users, devices or tokens simply do
 * not exist through it. Controllers never see the DataSource.
 */
export class TenantScope {
  constructor(
    private readonly ds: DataSource,
    readonly tenantId: string,
    readonly apiKeyId: string,
  ) {}

  // --- users -----------------------------------------------------------------------------------

  findUserByEmail(email: string): Promise<TenantUser | null> {
    return this.ds.manager.findOne(TenantUser, { where: { tenantId: this.tenantId, email } });
  }

  findUser(id: string): Promise<TenantUser | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.ds.manager.findOne(TenantUser, { where: { tenantId: this.tenantId, id } });
  }

  /**
   * Creates a user if the email is free in this tenant and the plan's `maxUsers` is not reached;
   * the tenant row is locked meanwhile, so concurrent registrations cannot overshoot.
   * @throws 409 EMAIL_TAKEN, 403 PLAN_LIMIT
   */
  async createUser(email: string, passwordHash: string, now: Date): Promise<TenantUser> {
    try {
      return await this.ds.transaction(async (m) => {
        const max = await this.lockTenant(m, 'max_users');
        if (await m.exists(TenantUser, { where: { tenantId: this.tenantId, email } })) throw new AppError(ErrorCode.EMAIL_TAKEN, 'email already registered');
        const users = await m.count(TenantUser, { where: { tenantId: this.tenantId } });
        if (users >= max) throw new AppError(ErrorCode.PLAN_LIMIT, `the plan allows ${max} users`);
        const user = m.create(TenantUser, { id: randomUUID(), tenantId: this.tenantId, email, passwordHash, createdAt: now });
        return m.save(user);
      });
    } catch (e) {
      if ((e as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw new AppError(ErrorCode.EMAIL_TAKEN, 'email already registered');
      throw e;
    }
  }

  /** The plan limit; `FOR UPDATE` serialises registrations of the tenant, `FOR SHARE` only keeps the plan still. */
  private async lockTenant(m: EntityManager, column: 'max_users' | 'max_devices_per_user', lock: 'UPDATE' | 'SHARE' = 'UPDATE'): Promise<number> {
    const rows: Array<Record<string, number>> = await m.query(`SELECT ${column} FROM tenants WHERE id = $1 FOR ${lock}`, [this.tenantId]);
    if (rows.length !== 1) throw new AppError(ErrorCode.INVALID_API_KEY, 'invalid API key');
    return Number(rows[0]?.[column]);
  }

  // --- refresh tokens --------------------------------------------------------------------------

  async insertRefresh(userId: string, familyId: string, tokenHash: string, expiresAt: Date, now: Date): Promise<void> {
    await this.ds.query(
      `INSERT INTO tenant_refresh_tokens (id, tenant_id, user_id, family_id, token_hash, expires_at, created_at)
       SELECT $1, $2, u.id, $4, $5, $6, $7 FROM tenant_users u WHERE u.id = $3 AND u.tenant_id = $2`,
      [randomUUID(), this.tenantId, userId, familyId, tokenHash, expiresAt, now],
    );
  }

  /**
   * Spends a refresh token once and stores its successor (`next`, same family) in one
   * transaction, the token's row locked: concurrent spends of one token queue up, the first wins
   * and every later one sees it used. A token already used or revoked revokes its whole family,
   * the successor the winner just stored included: someone holds a copy.
   */
  async rotateRefresh(tokenHash: string, now: Date, next: { tokenHash: string; expiresAt: Date }): Promise<RefreshClaim> {
    return this.ds.transaction(async (m) => {
      const token = await m.findOne(TenantRefreshToken, { where: { tenantId: this.tenantId, tokenHash }, lock: { mode: 'pessimistic_write' } });
      if (!token) return { outcome: 'unknown' } as const;
      if (token.usedAt !== null || token.revokedAt !== null) {
        await m.query(`UPDATE tenant_refresh_tokens SET revoked_at = $3 WHERE family_id = $1 AND tenant_id = $2 AND revoked_at IS NULL`, [token.familyId, this.tenantId, now]);
        return { outcome: 'reused' } as const;
      }
      if (token.expiresAt.getTime() <= now.getTime()) return { outcome: 'expired' } as const;
      await m.update(TenantRefreshToken, { id: token.id, tenantId: this.tenantId }, { usedAt: now });
      await m.insert(TenantRefreshToken, {
        id: randomUUID(),
        tenantId: this.tenantId,
        userId: token.userId,
        familyId: token.familyId,
        tokenHash: next.tokenHash,
        expiresAt: next.expiresAt,
        usedAt: null,
        revokedAt: null,
        createdAt: now,
      });
      return { outcome: 'ok', token } as const;
    });
  }

  async revokeFamily(familyId: string, now: Date): Promise<void> {
    await this.ds.query(`UPDATE tenant_refresh_tokens SET revoked_at = $3 WHERE family_id = $1 AND tenant_id = $2 AND revoked_at IS NULL`, [familyId, this.tenantId, now]);
  }

  // --- devices ---------------------------------------------------------------------------------

  devices(userId: string): Promise<TenantDevice[]> {
    return this.ds.manager.find(TenantDevice, { where: { tenantId: this.tenantId, userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * The user's device, or null. The seam for per-device token issuance (issue 17 item 4): the
   * tokens endpoint issues only for a device this returns, so a deleted device gets no more tokens.
   */
  device(userId: string, deviceId: string): Promise<TenantDevice | null> {
    if (!UUID.test(deviceId)) return Promise.resolve(null);
    return this.ds.manager.findOne(TenantDevice, { where: { tenantId: this.tenantId, userId, id: deviceId } });
  }

  /** Adds a device within the plan's `maxDevicesPerUser` (the user's row is locked meanwhile). @throws 403 PLAN_LIMIT */
  async createDevice(userId: string, deviceName: string, platform: string, now: Date): Promise<TenantDevice> {
    return this.ds.transaction(async (m) => {
      const max = await this.lockTenant(m, 'max_devices_per_user', 'SHARE');
      const owner: unknown[] = await m.query(`SELECT id FROM tenant_users WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, [userId, this.tenantId]);
      if (owner.length !== 1) throw new AppError(ErrorCode.INVALID_TOKEN, 'unknown user');
      const count = await m.count(TenantDevice, { where: { tenantId: this.tenantId, userId } });
      if (count >= max) throw new AppError(ErrorCode.PLAN_LIMIT, `the plan allows ${max} devices per user`);
      return m.save(m.create(TenantDevice, { id: randomUUID(), tenantId: this.tenantId, userId, deviceName, platform, createdAt: now }));
    });
  }

  /** Deletes the user's device; false when this user of this tenant has no such device. */
  async deleteDevice(userId: string, deviceId: string): Promise<boolean> {
    if (!UUID.test(deviceId)) return false;
    const res = await this.ds.manager.delete(TenantDevice, { tenantId: this.tenantId, userId, id: deviceId });
    return (res.affected ?? 0) > 0;
  }
}
