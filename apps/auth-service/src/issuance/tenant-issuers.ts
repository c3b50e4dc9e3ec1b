import { Inject, Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig } from '@phoenix/common';
import type { AuthConfig } from '../config';
import type { Tenant } from '../database/entities';
import { UUID } from '../tenants/tenant-plan';
import { TenantsRepository } from '../tenants/tenants.repository';
import { type RenderedDirectory, renderDirectory, tokenKeysJson, withEtag } from './issuer-directory';
import { type PublicIssuerKey, IssuerKeysRepository } from './issuer-keys.repository';
import { ISSUER_KEK, IssuerKeyStore } from './issuer-keys.store';
import { DAY_MS, type KeyPolicy, PRE_PUBLISH_MS, currentKey, listedKeys, planKeySchedule } from './key-schedule';

// A tenant directory asked for an id the cached tenant list lacks reloads the list at most this often.
const MISS_RELOAD_MS = 1000;

/** Where a tenant's directory says token requests go: the device tokens endpoint (a URI template, RFC 6570). */
export const TENANT_TOKENS_PATH = '/api/v1/devices/{deviceId}/tokens';

/** One entry of `GET /token-issuers` (/tmp/b2b-interfaces.md point 2). */
export interface TokenIssuerEntry {
  issuer: string;
  tenantId: string | null;
  leaseTtlHours: number | null;
  'token-keys': ReturnType<typeof tokenKeysJson>;
}

/** What the rotation command did to the tenants' issuers (counts only: the reply is logged). */
export interface TenantRotationSummary {
  issuers: number;
  rotated: number;
  created: number;
  removed: number;
  retired: number;
}

interface Snapshot {
  tenants: Array<Pick<Tenant, 'id' | 'leaseTtlHours'>>;
  keys: Map<string, PublicIssuerKey[]>;
}

/**
 * Every tenant's Privacy Pass issuer (issue 17 item 4). A tenant's issuer is the consumer issuer's
 * machinery — {@link IssuerKeyStore} over the same `issuer_keys` table (rows with its
 * `tenant_id`), the same schedule, KEK, policy and signer pool — one store per tenant, made on
 * first use. A tenant's first keys are made lazily, on first need: its first token request,
 * directory, `GET /token-issuers` listing, or the hourly rotation command, whichever comes first.
 *
 * Names: the consumer issuer is `TOKEN_ISSUER_NAME`; a tenant's is `<TOKEN_ISSUER_NAME>/tenants/<id>`.
 */
@Injectable()
export class TenantIssuers {
  private readonly stores = new Map<string, IssuerKeyStore>();
  private readonly policy: KeyPolicy;
  private readonly cacheMs: number;
  readonly consumerName: string;
  readonly tenantRequestUri: string;
  private snap: { generation: number; loadedAt: number; promise: Promise<Snapshot> } | null = null;
  private generation = 0;
  private filling: Promise<void> | null = null;
  private memo: { key: string; value: RenderedDirectory } | null = null;
  private lastMissReload = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repo: IssuerKeysRepository,
    private readonly tenants: TenantsRepository,
    private readonly consumer: IssuerKeyStore,
    private readonly clock: Clock,
    @Inject(ISSUER_KEK) private readonly kek: Uint8Array,
    @InjectConfig() private readonly config: AuthConfig,
  ) {
    this.policy = { rotationMs: config.ISSUER_KEY_ROTATION_DAYS * DAY_MS, prePublishMs: PRE_PUBLISH_MS, redeemWindowMs: config.TOKEN_REDEEM_WINDOW_DAYS * DAY_MS };
    this.cacheMs = config.ISSUER_KEY_CACHE_SECONDS * 1000;
    this.consumerName = config.TOKEN_ISSUER_NAME;
    this.tenantRequestUri = tenantRequestUri(config.ISSUER_REQUEST_URI);
  }

  /** The issuer name of a tenant (null: the consumer issuer). */
  issuerName(tenantId: string | null): string {
    return tenantId === null ? this.consumerName : `${this.consumerName}/tenants/${tenantId}`;
  }

  /** The key store of a tenant's issuer (the caller has checked that the tenant exists). */
  store(tenantId: string): IssuerKeyStore {
    let s = this.stores.get(tenantId);
    if (!s) {
      s = new IssuerKeyStore(this.repo.forTenant(tenantId), this.clock, this.kek, this.config);
      this.stores.set(tenantId, s);
    }
    return s;
  }

  private invalidate(): void {
    this.generation++;
    this.snap = null;
  }

  // --- rotation ----------------------------------------------------------------------------------

  /**
   * Runs every tenant issuer's schedule — only where one read of all tenant keys shows something
   * to do, each under its own advisory lock (so idempotent across replicas) — or, with `force`,
   * rotates each one as the consumer issuer's forced rotation does (once per `requestedAt`).
   */
  async rotateAll(force: boolean, requestedAt?: Date): Promise<TenantRotationSummary> {
    const tenants = await this.tenants.list();
    const keys = force ? null : groupByTenant(await this.repo.allTenantKeys());
    const sum: TenantRotationSummary = { issuers: tenants.length, rotated: 0, created: 0, removed: 0, retired: 0 };
    try {
      for (const t of tenants) {
        if (keys) {
          const plan = planKeySchedule(keys.get(t.id) ?? [], this.clock.now(), this.policy);
          if (plan.create.length === 0 && plan.remove.length === 0) continue;
        }
        const r = force ? await this.store(t.id).rotate(true, requestedAt) : await this.store(t.id).ensureSchedule();
        sum.rotated++;
        sum.created += r.created.length;
        sum.removed += r.removed.length;
        sum.retired += r.retired.length;
      }
    } finally {
      this.invalidate();
    }
    return sum;
  }

  // --- GET /token-issuers ------------------------------------------------------------------------

  private snapshot(): Promise<Snapshot> {
    const s = this.snap;
    if (s && s.generation === this.generation && this.clock.nowMs() - s.loadedAt < this.cacheMs) return s.promise;
    const generation = this.generation;
    const promise = (async (): Promise<Snapshot> => {
      const [tenants, keys] = await Promise.all([this.tenants.list(), this.repo.allTenantKeys()]);
      return { tenants: tenants.map((t) => ({ id: t.id, leaseTtlHours: t.leaseTtlHours })), keys: groupByTenant(keys) };
    })();
    this.snap = { generation, loadedAt: this.clock.nowMs(), promise };
    promise.catch(() => {
      if (this.snap?.promise === promise) this.snap = null;
    });
    return promise;
  }

  /** Makes the first keys of tenants that have none in force (one run at a time per replica). */
  private fill(tenantIds: string[]): Promise<void> {
    if (!this.filling) {
      this.filling = (async () => {
        try {
          for (const id of tenantIds) await this.store(id).ensureSchedule();
        } finally {
          this.filling = null;
          this.invalidate();
        }
      })();
    }
    return this.filling;
  }

  /**
   * `GET /token-issuers`: the consumer issuer first, then every tenant (suspended ones too: their
   * tokens stay redeemable while their keys are listed), oldest tenant first, each with the keys
   * its directory lists now. A tenant without a key in force gets its first keys now.
   */
  async tokenIssuers(): Promise<RenderedDirectory> {
    const consumerListed = await this.consumer.listedKeys();
    let snap = await this.snapshot();
    for (let round = 0; round < 2; round++) {
      const now = this.clock.now();
      const missing = snap.tenants.filter((t) => !currentKey(snap.keys.get(t.id) ?? [], now)).map((t) => t.id);
      if (missing.length === 0) break;
      await this.fill(missing);
      snap = await this.snapshot();
    }
    const now = this.clock.now();
    const tenantListed = snap.tenants.map((t) => ({ t, listed: listedKeys(snap.keys.get(t.id) ?? [], now) }));
    const memoKey = [consumerListed, ...tenantListed.map((e) => e.listed)].map((l) => l.map((k) => `${k.keyId}@${k.notBefore.getTime()}`).join(',')).join('|') + `|${snap.tenants.map((t) => `${t.id}:${t.leaseTtlHours}`).join(',')}`;
    if (this.memo?.key === memoKey) return this.memo.value;
    const entries: TokenIssuerEntry[] = [
      { issuer: this.consumerName, tenantId: null, leaseTtlHours: null, 'token-keys': tokenKeysJson(consumerListed) },
      ...tenantListed.map(({ t, listed }) => ({ issuer: this.issuerName(t.id), tenantId: t.id, leaseTtlHours: t.leaseTtlHours, 'token-keys': tokenKeysJson(listed) })),
    ];
    const value = withEtag(JSON.stringify(entries));
    this.memo = { key: memoKey, value };
    return value;
  }

  // --- GET /tenants/:id/.well-known/private-token-issuer-directory -------------------------------

  /**
   * A tenant's issuer directory. The tenant is looked up in the cached tenant list; an id it does
   * not hold reloads the list at most once a second (a public endpoint: unknown ids cannot hammer
   * Postgres), so a tenant created a moment ago is found too.
   * @throws 404 NOT_FOUND for an unknown (or malformed) tenant id
   */
  async directory(tenantId: string): Promise<RenderedDirectory> {
    if (!UUID.test(tenantId)) throw noSuchTenant();
    const known = async () => (await this.snapshot()).tenants.some((t) => t.id === tenantId);
    if (!(await known())) {
      const nowMs = this.clock.nowMs();
      if (nowMs - this.lastMissReload < MISS_RELOAD_MS) throw noSuchTenant();
      this.lastMissReload = nowMs;
      this.invalidate();
      if (!(await known())) throw noSuchTenant();
    }
    return renderDirectory(await this.store(tenantId).listedKeys(), this.tenantRequestUri);
  }
}

function noSuchTenant(): AppError {
  return new AppError(ErrorCode.NOT_FOUND, 'no such tenant');
}

function groupByTenant(keys: PublicIssuerKey[]): Map<string, PublicIssuerKey[]> {
  const out = new Map<string, PublicIssuerKey[]>();
  for (const k of keys) {
    const list = out.get(k.tenantId);
    if (list) list.push(k);
    else out.set(k.tenantId, [k]);
  }
  return out;
}

/** The tenant directory's `issuer-request-uri`: absolute on the consumer's origin when `ISSUER_REQUEST_URI` is absolute, else a path. */
export function tenantRequestUri(consumerUri: string): string {
  try {
    const u = new URL(consumerUri);
    if (u.protocol === 'http:' || u.protocol === 'https:') return `${u.origin}${TENANT_TOKENS_PATH}`;
  } catch {
    // a path
  }
  return TENANT_TOKENS_PATH;
}
