import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig } from '@phoenix/common';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { AuthConfig } from '../config';
import { newRefreshToken, sha256Hex } from './secrets';
import type { TenantScope } from './tenant-scope';

export const TENANT_JWT_ISSUER = 'phoenix-auth-service';
export const TENANT_JWT_AUDIENCE = 'phoenix-tenant-api';
export const ACCESS_TOKEN_SECONDS = 15 * 60;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/**
 * Tenant users' tokens: HS256 access JWTs (15 minutes; `sub` = user id, `tenantId`; issuer and
 * audience checked) made and checked with `jose`, and opaque single-use refresh tokens (only their
 * SHA-256 is stored) in families.
 */
@Injectable()
export class TenantTokens {
  private readonly key: Uint8Array;
  private readonly refreshTtlMs: number;

  constructor(
    private readonly clock: Clock,
    @InjectConfig() config: AuthConfig,
  ) {
    this.key = new TextEncoder().encode(config.TENANT_JWT_SECRET);
    this.refreshTtlMs = config.TENANT_REFRESH_TTL_DAYS * 86_400_000;
  }

  async accessToken(tenantId: string, userId: string): Promise<string> {
    const now = Math.floor(this.clock.nowMs() / 1000);
    return new SignJWT({ tenantId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(TENANT_JWT_ISSUER)
      .setAudience(TENANT_JWT_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_SECONDS)
      .sign(this.key);
  }

  /**
   * The user id of a valid access token of this scope's tenant.
   * @throws 401 INVALID_TOKEN for a bad, expired or foreign (other tenant's) token
   */
  async verifyAccess(scope: TenantScope, token: string): Promise<string> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: TENANT_JWT_ISSUER,
        audience: TENANT_JWT_AUDIENCE,
        currentDate: new Date(this.clock.nowMs()),
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (payload.tenantId !== scope.tenantId || typeof payload.sub !== 'string') throw new AppError(ErrorCode.INVALID_TOKEN, 'invalid access token');
      return payload.sub;
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (e instanceof joseErrors.JOSEError) throw new AppError(ErrorCode.INVALID_TOKEN, e instanceof joseErrors.JWTExpired ? 'access token expired' : 'invalid access token', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
      throw e;
    }
  }

  /** A new refresh token (clear, for the answer) with what is stored of it. */
  newRefresh(): { refreshToken: string; tokenHash: string; expiresAt: Date } {
    const refreshToken = newRefreshToken();
    return { refreshToken, tokenHash: sha256Hex(refreshToken), expiresAt: new Date(this.clock.nowMs() + this.refreshTtlMs) };
  }

  /** A new pair starting a new family (register, login). */
  async pair(scope: TenantScope, userId: string): Promise<TokenPair> {
    const next = this.newRefresh();
    await scope.insertRefresh(userId, randomUUID(), next.tokenHash, next.expiresAt, this.clock.now());
    return { accessToken: await this.accessToken(scope.tenantId, userId), refreshToken: next.refreshToken };
  }
}
