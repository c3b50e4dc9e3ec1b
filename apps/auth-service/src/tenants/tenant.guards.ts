import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { AppError, ErrorCode, bearerToken } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { apiKeyPrefix, digestEquals, looksLikeApiKey, sha256Hex } from './secrets';
import { TenantScope } from './tenant-scope';
import { TenantTokens } from './tenant-tokens';
import { TenantsRepository } from './tenants.repository';

type TenantRequest = FastifyRequest & { tenantScope?: TenantScope; tenantUserId?: string };

/** A digest nothing hashes to, compared when no key has the prefix (the same work either way). */
const NO_KEY_DIGEST = '0'.repeat(64);

/**
 * `X-API-Key`: finds the key by its visible prefix, compares SHA-256 of the whole key with the
 * stored one in constant time, and binds a {@link TenantScope} of the key's tenant to the request.
 * Missing, malformed, unknown or revoked: `401 INVALID_API_KEY`; suspended tenant: `403 TENANT_SUSPENDED`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly tenants: TenantsRepository,
    private readonly ds: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<TenantRequest>();
    const given = req.headers['x-api-key'];
    if (!looksLikeApiKey(given)) throw invalidKey();
    const found = await this.tenants.byPrefix(apiKeyPrefix(given));
    const matches = digestEquals(sha256Hex(given), found?.key.keyHash ?? NO_KEY_DIGEST);
    if (!found || !matches || found.key.revokedAt !== null) throw invalidKey();
    if (found.tenant.status !== 'active') throw new AppError(ErrorCode.TENANT_SUSPENDED, 'tenant suspended');
    req.tenantScope = new TenantScope(this.ds, found.tenant.id, found.key.id);
    return true;
  }
}

function invalidKey(): AppError {
  return new AppError(ErrorCode.INVALID_API_KEY, 'missing, unknown or revoked API key');
}

/**
 * `Authorization: Bearer <accessToken>` after {@link ApiKeyGuard}: a valid access token of the
 * key's tenant whose user still exists in it. Missing: `401 UNAUTHENTICATED`; bad, expired or
 * another tenant's: `401 INVALID_TOKEN`.
 */
@Injectable()
export class TenantUserGuard implements CanActivate {
  constructor(private readonly tokens: TenantTokens) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<TenantRequest>();
    const scope = req.tenantScope;
    if (!scope) throw invalidKey();
    const token = bearerToken(req.headers.authorization);
    if (token === null) throw new AppError(ErrorCode.UNAUTHENTICATED, 'access token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    const userId = await this.tokens.verifyAccess(scope, token);
    if (!(await scope.findUser(userId))) throw new AppError(ErrorCode.INVALID_TOKEN, 'invalid access token', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    req.tenantUserId = userId;
    return true;
  }
}

/** The request's {@link TenantScope} (set by {@link ApiKeyGuard}). */
export const CurrentTenant = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantScope => {
  const scope = ctx.switchToHttp().getRequest<TenantRequest>().tenantScope;
  if (!scope) throw invalidKey();
  return scope;
});

/** The authenticated tenant user's id (set by {@link TenantUserGuard}). */
export const CurrentTenantUser = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const id = ctx.switchToHttp().getRequest<TenantRequest>().tenantUserId;
  if (!id) throw new AppError(ErrorCode.UNAUTHENTICATED, 'access token required');
  return id;
});
