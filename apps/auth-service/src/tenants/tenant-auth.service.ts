import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode } from '@phoenix/common';
import type { TenantUser } from '../database/entities';
import type { AuthResultDto, MeDto } from './dto/tenants.dto';
import { LoginLimiter } from './login-limiter';
import { PasswordHasher } from './password-hasher';
import { sha256Hex } from './secrets';
import type { TenantScope } from './tenant-scope';
import { type TokenPair, TenantTokens } from './tenant-tokens';

/** Emails compare case-insensitively within a tenant: stored and looked up lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Register, login, refresh and me of a tenant's users (API.md "B2B tenants"). */
@Injectable()
export class TenantAuthService {
  constructor(
    private readonly hasher: PasswordHasher,
    private readonly tokens: TenantTokens,
    private readonly limiter: LoginLimiter,
    private readonly clock: Clock,
  ) {}

  async register(scope: TenantScope, email: string, password: string): Promise<AuthResultDto> {
    const user = await scope.createUser(normalizeEmail(email), await this.hasher.hash(password), this.clock.now());
    return this.result(user, await this.tokens.pair(scope, user.id));
  }

  /**
   * One code path for every failure: the user (or null) is looked up, then exactly one argon2id
   * verification runs — against the dummy hash when the email is unknown — and only then is the
   * answer decided. An unknown email and a wrong password give the same 401 INVALID_CREDENTIALS.
   */
  async login(scope: TenantScope, email: string, password: string): Promise<AuthResultDto> {
    const normalized = normalizeEmail(email);
    await this.limiter.attempt(scope.tenantId, scope.apiKeyId, normalized);
    const user = await scope.findUserByEmail(normalized);
    const ok = await this.hasher.verifyOrDummy(user?.passwordHash ?? null, password);
    if (!ok || !user) throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'invalid email or password');
    return this.result(user, await this.tokens.pair(scope, user.id));
  }

  /** A new pair in the same family; the presented token is spent. A reused token revokes the family. */
  async refresh(scope: TenantScope, refreshToken: string): Promise<TokenPair> {
    const next = this.tokens.newRefresh();
    const claim = await scope.rotateRefresh(sha256Hex(refreshToken), this.clock.now(), next);
    if (claim.outcome !== 'ok') {
      throw new AppError(ErrorCode.INVALID_TOKEN, claim.outcome === 'expired' ? 'refresh token expired' : 'invalid refresh token');
    }
    return { accessToken: await this.tokens.accessToken(scope.tenantId, claim.token.userId), refreshToken: next.refreshToken };
  }

  async me(scope: TenantScope, userId: string): Promise<MeDto> {
    const user = await scope.findUser(userId);
    if (!user) throw new AppError(ErrorCode.INVALID_TOKEN, 'invalid access token');
    return { id: user.id, email: user.email, tenantId: user.tenantId, createdAt: user.createdAt.toISOString() };
  }

  private result(user: TenantUser, pair: TokenPair): AuthResultDto {
    return { user: { id: user.id, email: user.email }, ...pair };
  }
}
