import { Injectable, Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import { TenantsRepository } from '../tenants/tenants.repository';
import type { TenantScope } from '../tenants/tenant-scope';
import { type BatchResult, assertBelowModulus, batchResult, decodeBlindedMessages } from './issuance.service';
import { QuotaService } from './quota.service';
import { SignerPool } from './signer.pool';
import { TenantIssuers } from './tenant-issuers';

/**
 * `POST /api/v1/devices/:id/tokens`: blind signatures under the device's tenant's current issuer
 * key, counted per device per rolling day against the plan's `tokensPerDevicePerDay`. As for the
 * consumer issuer, the per-device count is the only thing stored about issuance: no message,
 * signature, token or time of it is stored or logged (ARCHITECTURE.md invariant 3).
 */
@Injectable()
export class TenantIssuanceService {
  private readonly logger = new Logger('TenantIssuance');

  constructor(
    private readonly issuers: TenantIssuers,
    private readonly tenants: TenantsRepository,
    private readonly quota: QuotaService,
    private readonly signer: SignerPool,
  ) {}

  /**
   * Device of this user of the key's tenant (else `404`), tenant still active (else `403
   * TENANT_SUSPENDED`), messages below the key's modulus, quota (`429` + Retry-After), then sign.
   * Fails closed: no Redis, no signature.
   */
  async issueForDevice(scope: TenantScope, userId: string, deviceId: string, encoded: string[]): Promise<BatchResult> {
    const msgs = decodeBlindedMessages(encoded);
    const device = await scope.device(userId, deviceId);
    if (!device) throw new AppError(ErrorCode.NOT_FOUND, 'no such device');
    const tenant = await this.tenants.get(scope.tenantId);
    if (tenant.status !== 'active') throw new AppError(ErrorCode.TENANT_SUSPENDED, 'tenant suspended');
    const key = await this.issuers.store(tenant.id).signingKey();
    assertBelowModulus(key, msgs);
    const decision = await this.quota.consumeDevice(device.id, msgs.length, tenant.tokensPerDevicePerDay);
    if (!decision.allowed) {
      throw new AppError(ErrorCode.QUOTA_EXCEEDED, `daily token quota of ${tenant.tokensPerDevicePerDay} per device reached`, { headers: { 'Retry-After': String(decision.retryAfterSeconds) } });
    }
    let sigs: Uint8Array[];
    try {
      sigs = await this.signer.sign(key.keyId, key.privateKey, msgs);
    } catch (e) {
      await this.quota.releaseDevice(device.id, decision.bucket, msgs.length);
      this.logger.error(`signing failed: ${(e as Error).message}`);
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'the blinded message could not be signed');
    }
    return batchResult(key, sigs);
  }
}
