import type { KeyObject } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppError, Clock, InjectConfig } from '@phoenix/common';
import { TOKEN_TYPE_BLIND_RSA, bytesToHex, parseIssuerDirectory, parseTokenKey, tokenKeyIdFromBytes } from '@phoenix/crypto';
import type { NetworkConfig } from '../config';

/** A type 2 issuer key from the directory. */
export interface IssuerKey {
  readonly keyIdHex: string;
  readonly tokenKey: Uint8Array;
  readonly publicKey: KeyObject;
  /** Unix seconds; 0 when the directory gave none. */
  readonly notBefore: number;
}

interface Cached {
  keys: IssuerKey[];
  etag: string | null;
  fetchedAt: number;
  maxAgeMs: number;
}

/** Clock skew tolerated on a key's not-before (the issuer may start signing a little early). */
export const NOT_BEFORE_SKEW_SEC = 60;
const DEFAULT_MAX_AGE_MS = 5 * 60_000;
const MIN_MAX_AGE_MS = 10_000;
const MAX_MAX_AGE_MS = 60 * 60_000;
const FETCH_TIMEOUT_MS = 3000;
const MEDIA_TYPE = 'application/private-token-issuer-directory';

/** Parses `max-age` out of a Cache-Control value, clamped to [10 s, 1 h]. */
export function maxAgeMs(cacheControl: string | null): number {
  const m = cacheControl ? /(?:^|[,\s])max-age=(\d{1,9})/i.exec(cacheControl) : null;
  if (!m) return DEFAULT_MAX_AGE_MS;
  return Math.min(MAX_MAX_AGE_MS, Math.max(MIN_MAX_AGE_MS, Number(m[1]) * 1000));
}

/**
 * auth-service's public issuer directory (RFC 9578 §4), the only link to the identity side.
 * Fetched once at start (in the background), then only on demand, with no timer: a read that finds
 * the copy past its max-age answers from it and revalidates it with `If-None-Match` behind the
 * answer (stale-while-revalidate); a token naming a key we do not know refetches it at once. Either
 * kind of fetch happens at most once per `ISSUER_DIRECTORY_MIN_REFRESH_SEC`. This is a per-replica
 * copy of auth-service's data, not scheduled work of the data's owner, so job-worker has no part in
 * it. While auth-service is unreachable the cached keys keep serving; a fetch never blocks start-up
 * or readiness.
 */
@Injectable()
export class IssuerDirectoryService implements OnApplicationBootstrap {
  private readonly logger = new Logger('IssuerDirectory');
  private cached: Cached | null = null;
  private inflight: Promise<void> | null = null;
  private lastAttemptAt = -Infinity;
  private lastError: string | null = null;

  constructor(
    @InjectConfig() private readonly config: NetworkConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    void this.refresh();
  }

  /** Whether a directory was ever loaded. */
  get loaded(): boolean {
    return this.cached !== null;
  }

  /**
   * The key a token names, if listed and in force (not-before ≤ now + skew). Refetches the
   * directory (rate limited) when the key is unknown.
   * @returns the key, or null when the directory does not list it
   * @throws AppError UNAVAILABLE when no directory was ever loaded (auth-service unreachable)
   */
  async keyFor(keyId: Uint8Array): Promise<IssuerKey | null> {
    const hex = bytesToHex(keyId);
    this.revalidateIfStale();
    const hit = this.usable(hex);
    if (hit) return hit;
    if (this.mayRefresh()) await this.refresh();
    if (!this.cached) throw AppError.unavailable('issuer directory');
    return this.usable(hex);
  }

  /** The key clients should get tokens for now: the newest one in force. */
  async currentKey(): Promise<IssuerKey> {
    this.revalidateIfStale();
    if (!this.cached && this.mayRefresh()) await this.refresh();
    const now = this.clock.nowMs() / 1000;
    const inForce = (this.cached?.keys ?? []).filter((k) => k.notBefore <= now);
    if (inForce.length === 0) throw AppError.unavailable('issuer directory');
    return inForce.reduce((best, k) => (k.notBefore > best.notBefore ? k : best));
  }

  private usable(hex: string): IssuerKey | null {
    const limit = this.clock.nowMs() / 1000 + NOT_BEFORE_SKEW_SEC;
    return this.cached?.keys.find((k) => k.keyIdHex === hex && k.notBefore <= limit) ?? null;
  }

  /** Starts a revalidation, not waited for, when the copy is past its max-age. */
  private revalidateIfStale(): void {
    const c = this.cached;
    if (c && this.clock.nowMs() - c.fetchedAt >= c.maxAgeMs && this.mayRefresh()) void this.refresh();
  }

  private mayRefresh(): boolean {
    return this.clock.nowMs() - this.lastAttemptAt >= this.config.ISSUER_DIRECTORY_MIN_REFRESH_SEC * 1000;
  }

  /** Fetches (or revalidates) the directory; one fetch at a time, failures keep the cache. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchOnce().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async fetchOnce(): Promise<void> {
    this.lastAttemptAt = this.clock.nowMs();
    const headers: Record<string, string> = { accept: `${MEDIA_TYPE}, application/json` };
    if (this.cached?.etag) headers['if-none-match'] = this.cached.etag;
    try {
      const res = await fetch(this.config.ISSUER_DIRECTORY_URL, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (res.status === 304 && this.cached) {
        this.cached = { ...this.cached, fetchedAt: this.clock.nowMs(), maxAgeMs: maxAgeMs(res.headers.get('cache-control')) };
      } else if (res.ok) {
        const directory = parseIssuerDirectory(await res.text());
        const keys = directory.tokenKeys
          .filter((k) => k.tokenType === TOKEN_TYPE_BLIND_RSA)
          .map((k) => ({ keyIdHex: bytesToHex(tokenKeyIdFromBytes(k.tokenKey)), tokenKey: k.tokenKey, publicKey: parseTokenKey(k.tokenKey), notBefore: k.notBefore ?? 0 }));
        this.cached = { keys, etag: res.headers.get('etag'), fetchedAt: this.clock.nowMs(), maxAgeMs: maxAgeMs(res.headers.get('cache-control')) };
      } else {
        throw new Error(`answered ${res.status}`);
      }
      if (this.lastError !== null) this.logger.log('issuer directory reachable again');
      this.lastError = null;
    } catch (e) {
      const message = (e as Error).message;
      // Log transitions only: an unreachable auth-service must not flood the log.
      if (this.lastError !== message) {
        this.logger.warn(`issuer directory not refreshed (${message}); ${this.cached ? 'serving cached keys' : 'no keys yet'}`);
      }
      this.lastError = message;
    }
  }
}
