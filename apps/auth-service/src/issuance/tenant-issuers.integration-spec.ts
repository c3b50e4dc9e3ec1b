import { randomBytes } from 'node:crypto';
import { FakeClock } from '@phoenix/common/testing';
import { createPostgresDataSource } from '@phoenix/database';
import type { DataSource } from 'typeorm';
import { TestDatabase, migratedTestDatabase } from '../../test/helpers';
import type { AuthConfig } from '../config';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS } from '../database/identity-schema';
import { TenantsRepository } from '../tenants/tenants.repository';
import { IssuerKeysRepository } from './issuer-keys.repository';
import { IssuerKeyStore } from './issuer-keys.store';
import { DAY_MS, DIRECTORY_MAX_AGE_SEC } from './key-schedule';
import { TenantIssuers, type TokenIssuerEntry } from './tenant-issuers';

const config = {
  ISSUER_KEY_ROTATION_DAYS: 7,
  TOKEN_REDEEM_WINDOW_DAYS: 7,
  ISSUER_KEY_CACHE_SECONDS: 30,
  ISSUER_REQUEST_URI: 'https://auth.phoenix.test/token-request',
  TOKEN_ISSUER_NAME: 'auth.phoenix.test',
} as AuthConfig;
const PLAN = { maxUsers: 10, maxDevicesPerUser: 2, tokensPerDevicePerDay: 10, leaseTtlHours: 6 };
const ROT = config.ISSUER_KEY_ROTATION_DAYS * DAY_MS;
const REDEEM = config.TOKEN_REDEEM_WINDOW_DAYS * DAY_MS;
const LEAD = DAY_MS + DIRECTORY_MAX_AGE_SEC * 1000;
const T0 = Date.parse('2026-03-01T10:30:00Z');

// The tenants' issuers on real Postgres with an injected clock: the consumer issuer's schedule,
// per tenant, driven by the rotation command; the consumer issuer untouched by them.
describe('TenantIssuers (real Postgres, injected clock)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let clock: FakeClock;
  let kek: Uint8Array;
  let tenants: TenantsRepository;
  let consumer: IssuerKeyStore;
  let issuers: TenantIssuers;

  beforeEach(async () => {
    db = await migratedTestDatabase();
    ds = createPostgresDataSource({ url: db.url, side: 'identity', entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
    await ds.initialize();
    clock = new FakeClock(T0);
    kek = new Uint8Array(randomBytes(32));
    tenants = new TenantsRepository(ds);
    const repo = new IssuerKeysRepository(ds);
    consumer = new IssuerKeyStore(repo, clock, kek, config);
    issuers = new TenantIssuers(repo, tenants, consumer, clock, kek, config);
  });
  afterEach(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const notBefores = (keys: Array<{ notBefore: Date }>) => keys.map((k) => k.notBefore.getTime());
  const rowsOf = async (tenantId: string | null): Promise<string[]> =>
    (await ds.query(`SELECT key_id FROM issuer_keys WHERE tenant_id IS NOT DISTINCT FROM $1 ORDER BY not_before`, [tenantId])).map((r: { key_id: string }) => r.key_id);

  it("keeps every tenant's keys on the consumer issuer's schedule through three rotations: next key pre-published, retired keys listed while redeemable, then removed", async () => {
    const [a, b] = [await tenants.create('A', PLAN, clock.now()), await tenants.create('B', PLAN, clock.now())];
    await consumer.ensureSchedule();
    expect(await issuers.rotateAll(false)).toEqual({ issuers: 2, rotated: 2, created: 2, removed: 0, retired: 0 });
    // Idempotent: a second delivery (another replica) changes nothing.
    expect(await issuers.rotateAll(false)).toEqual({ issuers: 2, rotated: 0, created: 0, removed: 0, retired: 0 });
    const firstA = await rowsOf(a.id);
    expect(firstA).toHaveLength(1);

    let created = 0;
    let removed = 0;
    for (let t = T0 + 0.37 * DAY_MS; t <= T0 + 3 * ROT + LEAD; t += 0.25 * DAY_MS) {
      clock.t = t;
      await consumer.ensureSchedule();
      const r = await issuers.rotateAll(false);
      created += r.created;
      removed += r.removed;
      clock.t = t + 1000;
      const consumerListed = notBefores(await consumer.listedKeys());
      const consumerSigns = (await consumer.signingKey()).notBefore.getTime();
      for (const tenant of [a, b]) {
        const store = issuers.store(tenant.id);
        expect({ at: new Date(t).toISOString(), listed: notBefores(await store.listedKeys()) }).toEqual({ at: new Date(t).toISOString(), listed: consumerListed });
        expect((await store.signingKey()).notBefore.getTime()).toBe(consumerSigns);
      }
    }
    // Keys starting at T0 + ROT, + 2 ROT and + 3 ROT (each made a lead before its publication)
    // for each tenant; the keys of T0 and T0 + ROT are past their redeem window.
    expect(created).toBe(2 * 3);
    expect(removed).toBe(2 * 2);
    expect(T0 + 2 * ROT + REDEEM).toBeLessThanOrEqual(clock.t);
    expect(await rowsOf(a.id)).not.toContain(firstA[0]);
    // Every issuer has its own keys: nothing shared between the tenants or with the consumer.
    const all = [await rowsOf(null), await rowsOf(a.id), await rowsOf(b.id)];
    expect(all.map((r) => r.length)).toEqual([all[0]!.length, all[0]!.length, all[0]!.length]);
    expect(new Set(all.flat()).size).toBe(3 * all[0]!.length);
    expect((await consumer.listedKeys()).every((k) => k.tenantId === null)).toBe(true);
  });

  it('forces a rotation of every tenant issuer once per request time, as the consumer issuer does', async () => {
    const a = await tenants.create('A', PLAN, clock.now());
    await issuers.rotateAll(false);
    const before = (await issuers.store(a.id).signingKey()).keyId;
    clock.t += 5000;
    const requestedAt = clock.now();
    expect(await issuers.rotateAll(true, requestedAt)).toMatchObject({ issuers: 1, rotated: 1, retired: 1 });
    // The same command delivered to another replica: no second rotation.
    expect(await issuers.rotateAll(true, requestedAt)).toMatchObject({ issuers: 1, retired: 0 });
    clock.t += 1000;
    const store = issuers.store(a.id);
    const after = await store.signingKey();
    expect(after.keyId).not.toBe(before);
    expect((await store.listedKeys()).map((k) => k.keyId)).toEqual([after.keyId, before]);
  });

  it('lists the consumer issuer then every tenant in /token-issuers, makes missing first keys, and sees a new tenant after ISSUER_KEY_CACHE_SECONDS', async () => {
    const a = await tenants.create('A', PLAN, clock.now());
    clock.t += 1000;
    const first = JSON.parse((await issuers.tokenIssuers()).body) as TokenIssuerEntry[];
    expect(first.map((e) => [e.issuer, e.tenantId, e.leaseTtlHours, e['token-keys'].length])).toEqual([
      ['auth.phoenix.test', null, null, 1],
      [`auth.phoenix.test/tenants/${a.id}`, a.id, PLAN.leaseTtlHours, 1],
    ]);
    // Listing made the tenant's first key (no rotation ran).
    expect(await rowsOf(a.id)).toHaveLength(1);
    const b = await tenants.create('B', { ...PLAN, leaseTtlHours: 48 }, clock.now());
    clock.t += 1000;
    const cached = await issuers.tokenIssuers();
    expect((JSON.parse(cached.body) as TokenIssuerEntry[]).map((e) => e.tenantId)).toEqual([null, a.id]);
    clock.t += config.ISSUER_KEY_CACHE_SECONDS * 1000;
    const later = await issuers.tokenIssuers();
    expect(later.etag).not.toBe(cached.etag);
    expect((JSON.parse(later.body) as TokenIssuerEntry[]).map((e) => [e.tenantId, e.leaseTtlHours])).toEqual([
      [null, null],
      [a.id, PLAN.leaseTtlHours],
      [b.id, 48],
    ]);
    // The same answer twice: the same bytes and ETag.
    expect((await issuers.tokenIssuers()).etag).toBe(later.etag);
  });

  it("points a tenant directory's issuer-request-uri at the device tokens endpoint on the issuer's origin", async () => {
    const a = await tenants.create('A', PLAN, clock.now());
    const dir = JSON.parse((await issuers.directory(a.id)).body) as { 'issuer-request-uri': string };
    expect(dir['issuer-request-uri']).toBe('https://auth.phoenix.test/api/v1/devices/{deviceId}/tokens');
    await expect(issuers.directory('not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('finds a tenant created after the tenant list was cached, and reloads the list for unknown ids at most once a second', async () => {
    await tenants.create('A', PLAN, clock.now());
    await issuers.tokenIssuers();
    const b = await tenants.create('B', PLAN, clock.now());
    const list = jest.spyOn(tenants, 'list');
    expect((JSON.parse((await issuers.directory(b.id)).body) as { 'token-keys': unknown[] })['token-keys']).toHaveLength(1);
    expect(list).toHaveBeenCalledTimes(1);
    const unknown = '00000000-0000-4000-8000-000000000000';
    clock.t += 1000;
    await expect(issuers.directory(unknown)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(list).toHaveBeenCalledTimes(2);
    for (let i = 0; i < 5; i++) await expect(issuers.directory(unknown)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(list).toHaveBeenCalledTimes(2);
    clock.t += 1000;
    await expect(issuers.directory(unknown)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(list).toHaveBeenCalledTimes(3);
  });
});
