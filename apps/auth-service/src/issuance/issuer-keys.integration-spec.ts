import { randomBytes } from 'node:crypto';
import { Clock } from '@phoenix/common';
import { FakeClock } from '@phoenix/common/testing';
import { parseIssuerDirectory } from '@phoenix/crypto';
import { createPostgresDataSource } from '@phoenix/database';
import type { DataSource, EntityManager } from 'typeorm';
import { TestDatabase, migratedTestDatabase } from '../../test/helpers';
import type { AuthConfig } from '../config';
import { IDENTITY_ENTITIES, IDENTITY_MIGRATIONS } from '../database/identity-schema';
import { IssuerKey } from '../database/entities';
import { IssuerKeysRepository } from './issuer-keys.repository';
import { IssuerDirectory } from './issuer-directory';
import { IssuerKeyStore, SigningKey } from './issuer-keys.store';
import { DAY_MS, DIRECTORY_MAX_AGE_SEC } from './key-schedule';

/**
 * A store whose reads answer late: a read outside the schedule lock that starts while a key is
 * being created returns only after that key is committed — with what it saw before.
 */
class SlowReadsRepository extends IssuerKeysRepository {
  private gate: Promise<void> | null = null;
  onLockTaken: () => void = () => undefined;

  override async all(m?: EntityManager): Promise<IssuerKey[]> {
    const rows = await super.all(m);
    if (!m && this.gate) await this.gate;
    return rows;
  }

  override async withScheduleLock<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    let open!: () => void;
    this.gate = new Promise((r) => (open = r));
    try {
      return await super.withScheduleLock(async (m) => {
        this.onLockTaken();
        return fn(m);
      });
    } finally {
      // Committed: let the reads that started meanwhile finish a little later.
      setTimeout(() => {
        this.gate = null;
        open();
      }, 50);
    }
  }
}

const config = {
  ISSUER_KEY_ROTATION_DAYS: 7,
  TOKEN_REDEEM_WINDOW_DAYS: 7,
  ISSUER_KEY_CACHE_SECONDS: 30,
  ISSUER_REQUEST_URI: '/token-request',
} as AuthConfig;

// The first request on an empty key store creates the first key itself (the start-up schedule
// check may not have run yet). Key generation takes time: when a second boundary passes during it,
// the new key's not-before (whole seconds) is later than the moment the request began.
describe('IssuerKeyStore on an empty store (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeEach(async () => {
    db = await migratedTestDatabase();
    ds = createPostgresDataSource({ url: db.url, side: 'identity', entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
    await ds.initialize();
  });
  afterEach(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const service = (clock: Clock) => new IssuerKeyStore(new IssuerKeysRepository(ds), clock, new Uint8Array(randomBytes(32)), config);

  it('never answers from a read that began before the key it is waiting for was committed', async () => {
    const repo = new SlowReadsRepository(ds);
    const keys = new IssuerKeyStore(repo, new Clock(), new Uint8Array(randomBytes(32)), config);
    let started!: (p: Promise<SigningKey>) => void;
    const second = new Promise<Promise<SigningKey>>((r) => (started = r));
    // The first request on the empty store creates the key; a second one arrives meanwhile and
    // starts reading the store before the key is there.
    repo.onLockTaken = () => {
      repo.onLockTaken = () => undefined;
      started(keys.signingKey());
    };
    const a = await keys.signingKey();
    const b = await (await second);
    expect(a.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(b.keyId).toBe(a.keyId);
  });

  it("keeps its copy for ISSUER_KEY_CACHE_SECONDS of the injected clock, then sees another replica's rotation", async () => {
    const clock = new FakeClock(Date.parse('2026-03-01T10:30:00Z'));
    const kek = new Uint8Array(randomBytes(32));
    const [a, b] = [0, 1].map(() => new IssuerKeyStore(new IssuerKeysRepository(ds), clock, kek, config));
    await a.ensureSchedule();
    const before = await a.signingKey();
    clock.t += 1000;
    await b.rotate(true, clock.now());
    const after = await b.signingKey();
    expect(after.keyId).not.toBe(before.keyId);
    clock.t += 1000;
    expect((await a.signingKey()).keyId).toBe(before.keyId);
    clock.t += config.ISSUER_KEY_CACHE_SECONDS * 1000;
    expect((await a.signingKey()).keyId).toBe(after.keyId);
  });

  // Several starting points just before a second boundary, so the boundary falls inside key
  // generation whichever number of clock reads comes before it.
  const STARTS = [0.93, 0.95, 0.97, 0.99].map((f) => Date.parse('2026-03-01T10:30:00Z') + f * 1000);

  it('signs with the key it has just created even when a second boundary passed meanwhile', async () => {
    for (const start of STARTS) {
      await ds.query('DELETE FROM issuer_keys');
      const clock = new FakeClock(start, 20);
      const key = await service(clock).signingKey();
      expect(key.notBefore.getTime()).toBeGreaterThan(start);
      expect(key.notBefore.getTime()).toBeLessThanOrEqual(clock.t);
    }
  });

  it('publishes the key it has just created even when a second boundary passed meanwhile', async () => {
    for (const start of STARTS) {
      await ds.query('DELETE FROM issuer_keys');
      const clock = new FakeClock(start, 20);
      const keys = service(clock);
      const dir = parseIssuerDirectory((await new IssuerDirectory(keys, config).render()).body);
      expect(dir.tokenKeys).toHaveLength(1);
      const notBeforeMs = dir.tokenKeys[0]!.notBefore! * 1000;
      expect(notBeforeMs).toBeGreaterThan(start);
      expect((await keys.signingKey()).notBefore.getTime()).toBe(notBeforeMs);
    }
  });
});

// The directory over three rotations, read at every instant that matters, while the schedule runs
// only once a day (the longest period between schedule runs) at a phase unrelated to the keys.
describe('IssuerKeyStore and IssuerDirectory over weeks of an injected clock (real Postgres)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    ds = createPostgresDataSource({ url: db.url, side: 'identity', entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('lists the current key, the next one a directory max-age and a day before it signs, and retired keys while redeemable', async () => {
    const ROT = config.ISSUER_KEY_ROTATION_DAYS * DAY_MS;
    const REDEEM = config.TOKEN_REDEEM_WINDOW_DAYS * DAY_MS;
    const LEAD = DAY_MS + DIRECTORY_MAX_AGE_SEC * 1000;
    const T0 = Date.parse('2026-03-01T10:30:00Z');
    const clock = new FakeClock(T0);
    const keys = new IssuerKeyStore(new IssuerKeysRepository(ds), clock, new Uint8Array(randomBytes(32)), config);
    const directory = new IssuerDirectory(keys, config);
    await keys.ensureSchedule();
    const start = (k: number) => T0 + k * ROT;
    // Key k signs from start(k); it is listed from start(k) − LEAD (the first key: from its creation)
    // until start(k) + ROT + REDEEM.
    const expected = (t: number) => {
      const listed: number[] = [];
      for (let k = 0; k <= 4; k++) if ((k === 0 || t >= start(k) - LEAD) && t >= T0 && t < start(k) + ROT + REDEEM) listed.push(start(k) / 1000);
      return listed.reverse();
    };
    const probes = new Set<number>();
    for (let t = T0; t <= T0 + 3 * ROT; t += 6 * 3_600_000) probes.add(t);
    for (let k = 1; k <= 3; k++) {
      for (const d of [-LEAD - 1000, -LEAD, -1000, 0]) probes.add(start(k) + d);
      for (const d of [-1000, 0]) probes.add(start(k - 1) + ROT + REDEEM + d);
    }
    let nextCheck = T0 + 0.37 * DAY_MS;
    let lastSigner = '';
    for (const t of [...probes].filter((p) => p <= T0 + 3 * ROT).sort((a, b) => a - b)) {
      while (nextCheck <= t) {
        clock.t = nextCheck;
        await keys.ensureSchedule();
        nextCheck += DAY_MS;
      }
      clock.t = t;
      const listed = parseIssuerDirectory((await directory.render()).body).tokenKeys.map((k) => k.notBefore);
      expect({ at: new Date(t).toISOString(), listed }).toEqual({ at: new Date(t).toISOString(), listed: expected(t) });
      // The next key becomes current at its not-before, not a moment earlier.
      const signing = await keys.signingKey();
      expect({ at: new Date(t).toISOString(), signs: signing.notBefore.getTime() }).toEqual({ at: new Date(t).toISOString(), signs: start(Math.floor((t - T0) / ROT)) });
      if (signing.keyId !== lastSigner) {
        // A new signer is a key the directory listed a full lead earlier.
        if (lastSigner) expect(expected(t - LEAD)).toContain(signing.notBefore.getTime() / 1000);
        lastSigner = signing.keyId;
      }
    }
  });
});
