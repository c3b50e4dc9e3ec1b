import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode, InjectConfig } from '@phoenix/common';
import type { AuthConfig } from '../config';
import { FirebaseAuthAdapter, FirebaseIdentity } from './firebase.adapter';

const MAX_TOKEN_LENGTH = 8192;
const CACHE_MAX = 10_000;

/**
 * `Authorization: Bearer <Firebase ID token>` → the caller's identity, or `401 UNAUTHENTICATED`.
 * One place for both the Nest guard and the raw issuance route.
 *
 * With `FIREBASE_CHECK_CACHE_MS` > 0 a positive check is remembered (by SHA-256 of the token)
 * that long: revocation and disabling then take effect within that bound rather than at once.
 */
@Injectable()
export class IdTokenVerifier {
  private readonly cache = new Map<string, { identity: FirebaseIdentity; until: number }>();
  private readonly cacheMs: number;

  constructor(
    private readonly firebase: FirebaseAuthAdapter,
    @InjectConfig() config: AuthConfig,
  ) {
    this.cacheMs = config.FIREBASE_CHECK_CACHE_MS;
  }

  /** @throws AppError `UNAUTHENTICATED` (no, malformed or bad token), `UNAVAILABLE` (Firebase unreachable) */
  async authenticate(header: string | string[] | undefined): Promise<FirebaseIdentity> {
    const m = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._-]+)$/.exec(header) : null;
    if (!m || m[1].length > MAX_TOKEN_LENGTH) throw new AppError(ErrorCode.UNAUTHENTICATED, 'a Firebase ID token is required (Authorization: Bearer)');
    return this.verify(m[1]);
  }

  private async verify(token: string): Promise<FirebaseIdentity> {
    if (this.cacheMs === 0) return this.firebase.verifyIdToken(token);
    const key = createHash('sha256').update(token).digest('base64');
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.identity;
    const identity = await this.firebase.verifyIdToken(token);
    if (this.cache.size >= CACHE_MAX) {
      for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
    }
    this.cache.set(key, { identity, until: Math.min(now + this.cacheMs, identity.expiresAtMs) });
    return identity;
  }
}
