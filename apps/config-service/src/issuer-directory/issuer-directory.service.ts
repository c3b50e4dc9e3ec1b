import type { KeyObject } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppError, Clock, InjectConfig } from '@phoenix/common';
import { IssuerDirectoryKey, TOKEN_TYPE_BLIND_RSA, bytesToHex, parseIssuerDirectory, parseTokenKey, tokenKeyIdFromBytes } from '@phoenix/crypto';
import type { NetworkConfig } from '../config';

/** A type 2 issuer key, with the issuer it belongs to. */
export interface IssuerKey {
  readonly keyIdHex: string;
  readonly tokenKey: Uint8Array;
  readonly publicKey: KeyObject;
  /** Unix seconds; 0 when the directory gave none. */
  readonly notBefore: number;
  /**
   * The issuer name a token under this key must have answered the challenge of: config-service's
   * own `TOKEN_ISSUER_NAME` for consumer keys, the published name for a tenant's keys.
   */
  readonly issuer: string;
  /** The tenant whose issuer this key belongs to; null for the consumer issuer. */
  readonly tenantId: string | null;
  /** The tenant plan's lease TTL (hours); null for the consumer issuer (`LEASE_TTL_SEC` applies). */
  readonly leaseTtlHours: number | null;
}

/** A tenant's issuer, as `GET /token-issuers` names it. */
export interface TenantIssuer {
  readonly issuer: string;
  readonly tenantId: string;
}

interface Snapshot {
  keys: IssuerKey[];
  /** Tenant issuers by name (empty for the consumer directory). */
  tenants: Map<string, TenantIssuer>;
}

/** Clock skew tolerated on a key's not-before (the issuer may start signing a little early). */
export const NOT_BEFORE_SKEW_SEC = 60;
const DEFAULT_MAX_AGE_MS = 5 * 60_000;
const MIN_MAX_AGE_MS = 10_000;
const MAX_MAX_AGE_MS = 60 * 60_000;
const FETCH_TIMEOUT_MS = 3000;
const DIRECTORY_MEDIA_TYPE = 'application/private-token-issuer-directory';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The longest lease TTL a tenant plan may have (auth-service's limit: 30 days). */
export const MAX_LEASE_TTL_HOURS = 720;

/** Parses `max-age` out of a Cache-Control value, clamped to [10 s, 1 h]. */
export function maxAgeMs(cacheControl: string | null): number {
  const m = cacheControl ? /(?:^|[,\s])max-age=(\d{1,9})/i.exec(cacheControl) : null;
  if (!m) return DEFAULT_MAX_AGE_MS;
  return Math.min(MAX_MAX_AGE_MS, Math.max(MIN_MAX_AGE_MS, Number(m[1]) * 1000));
}

/** config-service's own issuer name (consumer tokens): `TOKEN_ISSUER_NAME`, else the directory's host. */
export function consumerIssuerName(config: Pick<NetworkConfig, 'TOKEN_ISSUER_NAME' | 'ISSUER_DIRECTORY_URL'>): string {
  return config.TOKEN_ISSUER_NAME ?? new URL(config.ISSUER_DIRECTORY_URL).host;
}

/** `TOKEN_ISSUERS_URL`, else the origin of `ISSUER_DIRECTORY_URL` + `/token-issuers`. */
export function tokenIssuersUrl(config: Pick<NetworkConfig, 'TOKEN_ISSUERS_URL' | 'ISSUER_DIRECTORY_URL'>): string {
  return config.TOKEN_ISSUERS_URL ?? `${new URL(config.ISSUER_DIRECTORY_URL).origin}/token-issuers`;
}

type Owner = Pick<IssuerKey, 'issuer' | 'tenantId' | 'leaseTtlHours'>;

function typeTwoKeys(tokenKeys: readonly IssuerDirectoryKey[], owner: Owner): IssuerKey[] {
  return tokenKeys
    .filter((k) => k.tokenType === TOKEN_TYPE_BLIND_RSA)
    .map((k) => ({ keyIdHex: bytesToHex(tokenKeyIdFromBytes(k.tokenKey)), tokenKey: k.tokenKey, publicKey: parseTokenKey(k.tokenKey), notBefore: k.notBefore ?? 0, ...owner }));
}

/** An entry's `token-keys`, checked by the directory parser (type, base64url, RSASSA-PSS SPKI, not-before). */
function entryKeys(tokenKeys: unknown, owner: Owner): IssuerKey[] {
  return typeTwoKeys(parseIssuerDirectory({ 'issuer-request-uri': '/token-request', 'token-keys': tokenKeys }).tokenKeys, owner);
}

/**
 * `GET /token-issuers` (auth-service): `[{issuer, tenantId, leaseTtlHours, "token-keys"}]`. The
 * consumer entry's keys are consumer keys (our own issuer name applies); a malformed tenant entry
 * is skipped (reported in `skipped`), a document that is not an array is refused whole.
 */
export function parseTokenIssuers(text: string, ownIssuer: string): Snapshot & { skipped: number } {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error('token-issuers is not an array');
  const keys: IssuerKey[] = [];
  const tenants = new Map<string, TenantIssuer>();
  let skipped = 0;
  for (const raw of value as unknown[]) {
    try {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('entry is not an object');
      const e = raw as Record<string, unknown>;
      if (e.tenantId === null) {
        keys.push(...entryKeys(e['token-keys'], { issuer: ownIssuer, tenantId: null, leaseTtlHours: null }));
        continue;
      }
      const { issuer, tenantId, leaseTtlHours } = e;
      if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > 255) throw new Error('issuer is not a name');
      if (typeof tenantId !== 'string' || !UUID.test(tenantId)) throw new Error('tenantId is not a UUID');
      if (typeof leaseTtlHours !== 'number' || !Number.isInteger(leaseTtlHours) || leaseTtlHours < 1 || leaseTtlHours > MAX_LEASE_TTL_HOURS) {
        throw new Error(`leaseTtlHours is not 1-${MAX_LEASE_TTL_HOURS}`);
      }
      // A tenant may never take the consumer's name: its tokens would pass as consumer tokens.
      if (issuer === ownIssuer) throw new Error("a tenant entry names the consumer's issuer");
      const tenant = tenantId.toLowerCase();
      keys.push(...entryKeys(e['token-keys'], { issuer, tenantId: tenant, leaseTtlHours }));
      tenants.set(issuer, { issuer, tenantId: tenant });
    } catch {
      skipped++;
    }
  }
  return { keys, tenants, skipped };
}

/**
 * One document of auth-service's, copied per replica: fetched in the background at start, then
 * only on demand (stale-while-revalidate with `If-None-Match` past max-age, at once for an unknown
 * key), at most once per `ISSUER_DIRECTORY_MIN_REFRESH_SEC`; failures keep the last good copy.
 */
class Feed {
  snapshot: (Snapshot & { etag: string | null; fetchedAt: number; maxAgeMs: number }) | null = null;
  private inflight: Promise<void> | null = null;
  private lastAttemptAt = -Infinity;
  private lastError: string | null = null;

  constructor(
    private readonly name: string,
    private readonly url: string,
    private readonly accept: string,
    private readonly parse: (text: string) => Snapshot & { skipped?: number },
    private readonly minRefreshMs: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get loaded(): boolean {
    return this.snapshot !== null;
  }

  mayRefresh(): boolean {
    return this.clock.nowMs() - this.lastAttemptAt >= this.minRefreshMs;
  }

  /** Starts a revalidation, not waited for, when the copy is past its max-age. */
  revalidateIfStale(): void {
    const c = this.snapshot;
    if (c && this.clock.nowMs() - c.fetchedAt >= c.maxAgeMs && this.mayRefresh()) void this.refresh();
  }

  refresh(): Promise<void> {
    this.inflight ??= this.fetchOnce().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async fetchOnce(): Promise<void> {
    this.lastAttemptAt = this.clock.nowMs();
    const headers: Record<string, string> = { accept: this.accept };
    if (this.snapshot?.etag) headers['if-none-match'] = this.snapshot.etag;
    try {
      const res = await fetch(this.url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (res.status === 304 && this.snapshot) {
        this.snapshot = { ...this.snapshot, fetchedAt: this.clock.nowMs(), maxAgeMs: maxAgeMs(res.headers.get('cache-control')) };
      } else if (res.ok) {
        const { keys, tenants, skipped } = this.parse(await res.text());
        if (skipped) this.logger.warn(`${this.name}: ${skipped} malformed issuer entr${skipped === 1 ? 'y' : 'ies'} skipped`);
        this.snapshot = { keys, tenants, etag: res.headers.get('etag'), fetchedAt: this.clock.nowMs(), maxAgeMs: maxAgeMs(res.headers.get('cache-control')) };
      } else {
        throw new Error(`answered ${res.status}`);
      }
      if (this.lastError !== null) this.logger.log(`${this.name} reachable again`);
      this.lastError = null;
    } catch (e) {
      const message = (e as Error).message;
      // Log transitions only: an unreachable auth-service must not flood the log.
      if (this.lastError !== message) {
        this.logger.warn(`${this.name} not refreshed (${message}); ${this.snapshot ? 'serving cached keys' : 'no keys yet'}`);
      }
      this.lastError = message;
    }
  }
}

/**
 * auth-service's public issuer keys, the only link to the identity side: the consumer directory
 * (RFC 9578 §4, `ISSUER_DIRECTORY_URL`) as before, and every issuer with its tenant from
 * `GET /token-issuers` (`TOKEN_ISSUERS_URL`). A key id resolves to its issuer name, tenant and
 * the tenant plan's lease TTL, so a token's tenant is known from its key id alone. Each document
 * is fetched once at start (in the background), then only on demand, with no timer: a read that
 * finds a copy past its max-age answers from it and revalidates it with `If-None-Match` behind the
 * answer (stale-while-revalidate); a token naming a key we do not know refetches both at once.
 * Either kind of fetch happens at most once per `ISSUER_DIRECTORY_MIN_REFRESH_SEC` per document.
 * This is a per-replica copy of auth-service's data, not scheduled work of the data's owner, so
 * job-worker has no part in it. While auth-service is unreachable the cached keys keep serving; a
 * fetch never blocks start-up or readiness.
 */
@Injectable()
export class IssuerDirectoryService implements OnApplicationBootstrap {
  private readonly logger = new Logger('IssuerDirectory');
  private readonly directory: Feed;
  private readonly issuers: Feed;
  /** config-service's own issuer name: the one consumer tokens answer the challenge of. */
  readonly consumerIssuer: string;

  constructor(
    @InjectConfig() config: NetworkConfig,
    private readonly clock: Clock,
  ) {
    this.consumerIssuer = consumerIssuerName(config);
    const own = { issuer: this.consumerIssuer, tenantId: null, leaseTtlHours: null };
    const minRefreshMs = config.ISSUER_DIRECTORY_MIN_REFRESH_SEC * 1000;
    this.directory = new Feed(
      'issuer directory',
      config.ISSUER_DIRECTORY_URL,
      `${DIRECTORY_MEDIA_TYPE}, application/json`,
      (text) => ({ keys: typeTwoKeys(parseIssuerDirectory(text).tokenKeys, own), tenants: new Map() }),
      minRefreshMs,
      clock,
      this.logger,
    );
    this.issuers = new Feed('token issuers', tokenIssuersUrl(config), 'application/json', (text) => parseTokenIssuers(text, this.consumerIssuer), minRefreshMs, clock, this.logger);
  }

  onApplicationBootstrap(): void {
    void this.refresh();
  }

  /** Whether the consumer directory or the issuer list was ever loaded. */
  get loaded(): boolean {
    return this.directory.loaded || this.issuers.loaded;
  }

  /**
   * The key a token names, if listed and in force (not-before ≤ now + skew), with its issuer and
   * tenant. Refetches both documents (rate limited) when the key is unknown.
   * @returns the key, or null when no issuer lists it
   * @throws AppError UNAVAILABLE when the key is unknown and either document was never loaded (an
   *   unknown key cannot be told from a consumer's or a tenant's without both: fail closed)
   */
  async keyFor(keyId: Uint8Array): Promise<IssuerKey | null> {
    const hex = bytesToHex(keyId);
    this.revalidateIfStale();
    const hit = this.usable(hex);
    if (hit) return hit;
    await Promise.all([this.directory, this.issuers].filter((f) => f.mayRefresh()).map((f) => f.refresh()));
    const found = this.usable(hex);
    if (found) return found;
    if (!this.directory.loaded) throw AppError.unavailable('issuer directory');
    if (!this.issuers.loaded) throw AppError.unavailable('token issuers');
    return null;
  }

  /** The consumer key clients should get tokens for now: the newest one in force. */
  async currentKey(): Promise<IssuerKey> {
    this.revalidateIfStale();
    if (!this.directory.loaded && this.directory.mayRefresh()) await this.directory.refresh();
    const now = this.clock.nowMs() / 1000;
    const inForce = this.keys().filter((k) => k.tenantId === null && k.notBefore <= now);
    if (inForce.length === 0) throw AppError.unavailable('issuer directory');
    return inForce.reduce((best, k) => (k.notBefore > best.notBefore ? k : best));
  }

  /**
   * A tenant's issuer by its published name; refetches the list (rate limited) for a name it does
   * not know, so a tenant created a moment ago is found.
   * @returns the issuer, or null when auth-service does not publish that name
   * @throws AppError UNAVAILABLE when the list was never loaded
   */
  async tenantIssuer(name: string): Promise<TenantIssuer | null> {
    this.issuers.revalidateIfStale();
    const hit = this.issuers.snapshot?.tenants.get(name);
    if (hit) return hit;
    if (this.issuers.mayRefresh()) await this.issuers.refresh();
    if (!this.issuers.loaded) throw AppError.unavailable('token issuers');
    return this.issuers.snapshot?.tenants.get(name) ?? null;
  }

  /** Fetches (or revalidates) both documents; failures keep the cache. */
  async refresh(): Promise<void> {
    await Promise.all([this.directory.refresh(), this.issuers.refresh()]);
  }

  private revalidateIfStale(): void {
    this.directory.revalidateIfStale();
    this.issuers.revalidateIfStale();
  }

  /** Every key known: the consumer directory's first (a key listed twice resolves as there). */
  private keys(): IssuerKey[] {
    return [...(this.directory.snapshot?.keys ?? []), ...(this.issuers.snapshot?.keys ?? [])];
  }

  private usable(hex: string): IssuerKey | null {
    const limit = this.clock.nowMs() / 1000 + NOT_BEFORE_SKEW_SEC;
    return this.keys().find((k) => k.keyIdHex === hex && k.notBefore <= limit) ?? null;
  }
}

