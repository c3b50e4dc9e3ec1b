import { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, Clock, InjectConfig } from '@phoenix/common';
import { decryptIssuerPrivateKey, encryptIssuerPrivateKey, generateIssuerKeyPair, rsaPublicInfo, truncatedTokenKeyId, type IssuerKeyPair } from '@phoenix/crypto';
import type { EntityManager } from 'typeorm';
import { IssuerKey } from '../database/entities';
import type { AuthConfig } from '../config';
import { IssuerKeysRepository } from './issuer-keys.repository';
import { DAY_MS, KeyPolicy, KeyTimes, PRE_PUBLISH_MS, currentKey, listedKeys, planForcedRotation, planKeySchedule } from './key-schedule';

export const ISSUER_KEK = Symbol('ISSUER_KEK');

/** A key able to sign: what the signer and the issuance service need. */
export interface SigningKey {
  keyId: string;
  keyIdBytes: Uint8Array;
  truncatedKeyId: number;
  privateKey: KeyObject;
  /** The modulus, big-endian, 256 bytes: blinded messages must be below it. */
  modulus: Uint8Array;
  notBefore: Date;
  signsUntil: Date;
  removeAt: Date;
}

interface Snapshot {
  keys: IssuerKey[];
  loadedAt: number;
  /** Decrypted private keys of the keys that sign now or next, by key id. */
  signers: Map<string, SigningKey>;
}

export interface RotationResult {
  created: string[];
  removed: string[];
  retired: string[];
  current: { keyId: string; notBefore: string; signsUntil: string };
  listed: Array<{ keyId: string; notBefore: string; signsUntil: string; removeAt: string }>;
}

// A miss (unknown key id) may reload at most this often, so bad key ids cannot hammer Postgres.
const MISS_RELOAD_MS = 1000;

/**
 * The issuer key store: the schedule (current, next, retired) and rotation, written only under the
 * schedule's advisory lock, and each replica's short-lived in-memory copy, which a change makes
 * stale at once (generations). Every replica reads keys from Postgres. The directory is rendered
 * from it by `IssuerDirectory`.
 *
 * Who runs the schedule: job-worker, hourly, with `identity.issuer-keys.rotate` (creates and
 * pre-publishes the next key, removes keys past their redeem window). No fallback timer here
 * (STYLE.md "Time-driven work"): issuance does not depend on job-worker being up — a request that
 * finds no key in force runs the schedule itself ({@link signingKey}, {@link listedKeys}), so a
 * fresh database or a key that ran out while job-worker was down gets a key on the next request.
 * What job-worker's absence costs is only ahead-of-time work: the next key is not pre-published
 * (clients learn it from the directory on their next fetch) and a retired key's row stays until a
 * schedule run removes it (the directory stops listing it at `removeAt` regardless). Neither is a
 * privacy promise: a blind signature's key says nothing about who was issued a token.
 */
@Injectable()
export class IssuerKeyStore {
  private readonly logger = new Logger('IssuerKeys');
  private readonly policy: KeyPolicy;
  private readonly cacheMs: number;
  private snapshot: Snapshot | null = null;
  // A load in flight, and the generation it belongs to: after a change (invalidate) a reader must
  // not join a load that may have read the store before the change.
  private loading: { generation: number; promise: Promise<Snapshot> } | null = null;
  private generation = 0;
  private lastMissReload = 0;

  constructor(
    private readonly repo: IssuerKeysRepository,
    private readonly clock: Clock,
    @Inject(ISSUER_KEK) private readonly kek: Uint8Array,
    @InjectConfig() config: AuthConfig,
  ) {
    this.policy = {
      rotationMs: config.ISSUER_KEY_ROTATION_DAYS * DAY_MS,
      prePublishMs: PRE_PUBLISH_MS,
      redeemWindowMs: config.TOKEN_REDEEM_WINDOW_DAYS * DAY_MS,
    };
    this.cacheMs = config.ISSUER_KEY_CACHE_SECONDS * 1000;
  }

  // --- schedule and rotation (writers, under the advisory lock) ----------------------------------

  /** Creates the keys the schedule needs now and removes expired ones. Idempotent. */
  async ensureSchedule(): Promise<RotationResult> {
    const result = await this.repo.withScheduleLock(async (m) => {
      const keys = await this.repo.all(m);
      const now = this.clock.now();
      const plan = planKeySchedule(keys, now, this.policy);
      await this.repo.remove(m, plan.remove);
      const created = await this.createKeys(m, plan.create, keys.filter((k) => !plan.remove.includes(k.keyId)));
      if (plan.remove.length || created.length) {
        this.logger.log(`issuer keys: created ${created.join(', ') || 'none'}; removed ${plan.remove.join(', ') || 'none'}`);
      }
      return this.describe(await this.repo.all(m), now, { created, removed: plan.remove, retired: [] });
    });
    this.invalidate();
    return result;
  }

  /**
   * Rotation as a command: runs the schedule, or with `force` retires the current key now —
   * unless a key already started signing at or after `requestedAt` (the same command delivered
   * to several replicas rotates once).
   */
  async rotate(force: boolean, requestedAt?: Date): Promise<RotationResult> {
    if (!force) return this.ensureSchedule();
    const result = await this.repo.withScheduleLock(async (m) => {
      const keys = await this.repo.all(m);
      const now = this.clock.now();
      const plan = planForcedRotation(keys, now, this.policy, requestedAt ?? now);
      for (const u of plan.update) await this.repo.updateTimes(m, u.keyId, { publishFrom: u.publishFrom, notBefore: u.notBefore, signsUntil: u.signsUntil, removeAt: u.removeAt });
      const created = await this.createKeys(m, plan.create, keys);
      const retired = plan.update.filter((u) => u.signsUntil.getTime() === Math.floor(now.getTime() / 1000) * 1000).map((u) => u.keyId);
      this.logger.log(`issuer keys: forced rotation; retired ${retired.join(', ') || 'none'}; created ${created.join(', ') || 'none'}`);
      return this.describe(await this.repo.all(m), now, { created, removed: [], retired });
    });
    this.invalidate();
    // The forced rotation may have moved a key into the pre-publish window of the next one.
    await this.ensureSchedule();
    return result;
  }

  private async createKeys(m: EntityManager, slots: KeyTimes[], existing: IssuerKey[]): Promise<string[]> {
    const created: string[] = [];
    const taken = new Set(existing.map((k) => k.truncatedKeyId));
    for (const slot of slots) {
      // Token requests name a key by the last byte of its id (RFC 9578 §6.1): keep that byte
      // unique among listed keys so a request never matches two keys.
      let pair: IssuerKeyPair;
      do pair = await generateIssuerKeyPair();
      while (taken.has(truncatedTokenKeyId(pair.keyId)));
      const truncated = truncatedTokenKeyId(pair.keyId);
      taken.add(truncated);
      await this.repo.insert(m, {
        keyId: pair.keyIdHex,
        truncatedKeyId: truncated,
        tokenKey: Buffer.from(pair.tokenKey),
        encryptedPrivateKey: Buffer.from(encryptIssuerPrivateKey(pair.privateKey, this.kek, pair.keyIdHex)),
        ...slot,
      });
      created.push(pair.keyIdHex);
    }
    return created;
  }

  private describe(keys: IssuerKey[], now: Date, parts: Pick<RotationResult, 'created' | 'removed' | 'retired'>): RotationResult {
    const cur = currentKey(keys, now);
    if (!cur) throw new Error('no current issuer key after scheduling');
    return {
      ...parts,
      current: { keyId: cur.keyId, notBefore: cur.notBefore.toISOString(), signsUntil: cur.signsUntil.toISOString() },
      listed: listedKeys(keys, now).map((k) => ({
        keyId: k.keyId,
        notBefore: k.notBefore.toISOString(),
        signsUntil: k.signsUntil.toISOString(),
        removeAt: k.removeAt.toISOString(),
      })),
    };
  }

  // --- readers: the in-memory copy ----------------------------------------------------------------

  invalidate(): void {
    this.snapshot = null;
    this.generation++;
  }

  private load(): Promise<Snapshot> {
    if (this.loading?.generation === this.generation) return this.loading.promise;
    const generation = this.generation;
    const promise: Promise<Snapshot> = this.read(generation).finally(() => {
      if (this.loading?.promise === promise) this.loading = null;
    });
    this.loading = { generation, promise };
    return promise;
  }

  private async read(generation: number): Promise<Snapshot> {
    const keys = await this.repo.all();
    const now = this.clock.now();
    const signers = new Map<string, SigningKey>();
    // Decrypt only what can sign now or soon: the current key and the pre-published next one.
    for (const k of keys) {
      if (k.signsUntil.getTime() > now.getTime() && k.publishFrom.getTime() <= now.getTime() + this.policy.prePublishMs) {
        signers.set(k.keyId, this.toSigningKey(k));
      }
    }
    const snap = { keys, loadedAt: now.getTime(), signers };
    // A read that began before a change must not replace what is read after it.
    if (generation === this.generation) this.snapshot = snap;
    return snap;
  }

  private toSigningKey(k: IssuerKey): SigningKey {
    const privateKey = decryptIssuerPrivateKey(new Uint8Array(k.encryptedPrivateKey), this.kek, k.keyId);
    return {
      keyId: k.keyId,
      keyIdBytes: Buffer.from(k.keyId, 'hex'),
      truncatedKeyId: k.truncatedKeyId,
      privateKey,
      modulus: rsaPublicInfo(privateKey).modulus,
      notBefore: k.notBefore,
      signsUntil: k.signsUntil,
      removeAt: k.removeAt,
    };
  }

  private async fresh(): Promise<Snapshot> {
    const s = this.snapshot;
    if (s && this.clock.nowMs() - s.loadedAt < this.cacheMs) return s;
    return this.load();
  }

  private signingKeyIn(s: Snapshot, now: Date): SigningKey | null {
    const cur = currentKey(s.keys, now);
    return cur ? (s.signers.get(cur.keyId) ?? null) : null;
  }

  /**
   * The key that signs now. Reloads on a miss and, when the store has no current key at all
   * (fresh database), runs the schedule first. The clock is read again after each step: a key
   * created meanwhile starts at the (whole) second it was made, which may be after this call began.
   *
   * @throws AppError UNAVAILABLE when no key can be had (database down)
   */
  async signingKey(): Promise<SigningKey> {
    let key = this.signingKeyIn(await this.fresh(), this.clock.now());
    if (!key) key = this.signingKeyIn(await this.load(), this.clock.now());
    if (!key) {
      await this.ensureSchedule();
      key = this.signingKeyIn(await this.load(), this.clock.now());
    }
    if (!key) throw AppError.unavailable('issuer key');
    return key;
  }

  /**
   * The current key if a token request names it (by truncated key id); null when it names no
   * key this issuer signs with now. A mismatch reloads once (another replica may have rotated).
   */
  async signingKeyFor(truncatedKeyId: number): Promise<SigningKey | null> {
    const key = await this.signingKey();
    if (key.truncatedKeyId === truncatedKeyId) return key;
    const nowMs = this.clock.nowMs();
    if (nowMs - this.lastMissReload < MISS_RELOAD_MS) return null;
    this.lastMissReload = nowMs;
    const reloaded = this.signingKeyIn(await this.load(), this.clock.now());
    return reloaded && reloaded.truncatedKeyId === truncatedKeyId ? reloaded : null;
  }

  /**
   * The keys the directory lists now (RFC 9578 §4): current, pre-published next, and retired keys
   * still redeemable. On a store with no current key (fresh database) the schedule runs first.
   */
  async listedKeys(): Promise<IssuerKey[]> {
    let s = await this.fresh();
    if (!currentKey(s.keys, this.clock.now())) {
      await this.signingKey();
      s = await this.fresh();
    }
    return listedKeys(s.keys, this.clock.now());
  }
}
