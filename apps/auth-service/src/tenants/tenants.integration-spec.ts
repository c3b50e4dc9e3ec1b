import { createHash } from 'node:crypto';
import { dropRedisPrefix, redisClusterTargets } from '@phoenix/common/testing';
import { SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { TestApp, TestDatabase, bearer, json, migratedTestDatabase, startTestApp, testEnv, uniquePrefix } from '../../test/helpers';
import { Clock } from '@phoenix/common';
import { createRedis, waitForRedis } from '@phoenix/database';
import { LoginLimiter } from './login-limiter';
import { PasswordHasher } from './password-hasher';
import { TENANT_JWT_AUDIENCE, TENANT_JWT_ISSUER } from './tenant-tokens';

type Body = Record<string, unknown>;
interface Tenant {
  id: string;
  name: string;
  status: string;
  plan: Record<string, number>;
  createdAt: string;
}
interface Auth {
  user: { id: string; email: string };
  accessToken: string;
  refreshToken: string;
}

const PLAN = { maxUsers: 3, maxDevicesPerUser: 2, tokensPerDevicePerDay: 48, leaseTtlHours: 24 };
const PASSWORD = 'correct horse battery';
let seq = 0;
const email = (tag = 'u') => `${tag}-${Date.now().toString(36)}-${seq++}@example.com`;

describe('B2B tenants (API.md "B2B tenants", items 1-3)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let ds: DataSource;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    db = await migratedTestDatabase();
    t = await startTestApp(testEnv(db, prefix, { TENANT_LOGIN_PER_ACCOUNT_PER_15_MIN: '5', TENANT_LOGIN_PER_KEY_PER_MINUTE: '1000' }));
    ds = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await dropRedisPrefix(prefix);
  });

  const admin = (method: string, path: string, body?: unknown, token = t.config.ADMIN_TOKEN) =>
    fetch(`${t.base}${path}`, { method, headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const api = (method: string, path: string, apiKey: string | null, body?: unknown, accessToken?: string) =>
    fetch(`${t.base}${path}`, {
      method,
      headers: {
        ...(apiKey === null ? {} : { 'x-api-key': apiKey }),
        ...(accessToken === undefined ? {} : bearer(accessToken)),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const expectError = async (res: Response, status: number, code: string) => {
    const body = await json(res);
    expect({ status: res.status, code: body.code }).toEqual({ status, code });
  };

  async function newTenant(plan: Body = PLAN): Promise<{ tenant: Tenant; apiKey: string; keyId: string }> {
    const res = await admin('POST', '/admin/tenants', { name: 'Acme', plan });
    expect(res.status).toBe(201);
    const tenant = await json<Tenant>(res);
    const k = await json<{ id: string; apiKey: string }>(await admin('POST', `/admin/tenants/${tenant.id}/api-keys`));
    return { tenant, apiKey: k.apiKey, keyId: k.id };
  }
  async function register(apiKey: string, e = email()): Promise<Auth & { email: string }> {
    const res = await api('POST', '/api/v1/auth/register', apiKey, { email: e, password: PASSWORD });
    expect(res.status).toBe(201);
    return { ...(await json<Auth>(res)), email: e };
  }

  describe('operator: tenants', () => {
    it('creates, gets, lists, suspends and resumes a tenant', async () => {
      const res = await admin('POST', '/admin/tenants', { name: 'Globex', plan: PLAN });
      expect(res.status).toBe(201);
      const created = await json<Tenant>(res);
      expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Globex', status: 'active', plan: PLAN, createdAt: expect.any(String) });
      expect(await json(await admin('GET', `/admin/tenants/${created.id}`))).toEqual(created);
      const list = await json<Tenant[]>(await admin('GET', '/admin/tenants'));
      expect(list).toContainEqual(created);
      const suspended = await admin('POST', `/admin/tenants/${created.id}/suspend`);
      expect(suspended.status).toBe(200);
      expect(await json(suspended)).toEqual({ ...created, status: 'suspended' });
      expect((await json<Tenant>(await admin('GET', `/admin/tenants/${created.id}`))).status).toBe('suspended');
      expect(await json(await admin('POST', `/admin/tenants/${created.id}/resume`))).toEqual(created);
    });

    it.each([
      ['zero users', { ...PLAN, maxUsers: 0 }],
      ['negative devices', { ...PLAN, maxDevicesPerUser: -1 }],
      ['a fraction', { ...PLAN, tokensPerDevicePerDay: 1.5 }],
      ['a string', { ...PLAN, leaseTtlHours: '24' }],
      ['a missing limit', { maxUsers: 1, maxDevicesPerUser: 1, tokensPerDevicePerDay: 1 }],
      ['an absurd lease', { ...PLAN, leaseTtlHours: 100_000 }],
      ['too many users', { ...PLAN, maxUsers: 1e12 }],
      ['an unknown field', { ...PLAN, extra: 1 }],
      ['an array', [PLAN]],
      ['null', null],
    ])('refuses a plan with %s (400 VALIDATION_FAILED)', async (_, plan) => {
      await expectError(await admin('POST', '/admin/tenants', { name: 'Bad', plan }), 400, 'VALIDATION_FAILED');
    });

    it('refuses a blank name, and a body without a plan', async () => {
      await expectError(await admin('POST', '/admin/tenants', { name: '  ', plan: PLAN }), 400, 'VALIDATION_FAILED');
      await expectError(await admin('POST', '/admin/tenants', { name: 'x' }), 400, 'VALIDATION_FAILED');
    });

    it('answers 404 for an unknown or malformed tenant id on every operator path', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
        await expectError(await admin('GET', `/admin/tenants/${id}`), 404, 'NOT_FOUND');
        await expectError(await admin('POST', `/admin/tenants/${id}/suspend`), 404, 'NOT_FOUND');
        await expectError(await admin('POST', `/admin/tenants/${id}/resume`), 404, 'NOT_FOUND');
        await expectError(await admin('POST', `/admin/tenants/${id}/api-keys`), 404, 'NOT_FOUND');
        await expectError(await admin('GET', `/admin/tenants/${id}/api-keys`), 404, 'NOT_FOUND');
        await expectError(await admin('DELETE', `/admin/tenants/${id}/api-keys/00000000-0000-4000-8000-000000000000`), 404, 'NOT_FOUND');
      }
    });

    it('needs the ADMIN_TOKEN on every operator path', async () => {
      const { tenant, keyId } = await newTenant();
      const paths: Array<[string, string, unknown?]> = [
        ['POST', '/admin/tenants', { name: 'x', plan: PLAN }],
        ['GET', '/admin/tenants'],
        ['GET', `/admin/tenants/${tenant.id}`],
        ['POST', `/admin/tenants/${tenant.id}/suspend`],
        ['POST', `/admin/tenants/${tenant.id}/resume`],
        ['POST', `/admin/tenants/${tenant.id}/api-keys`],
        ['GET', `/admin/tenants/${tenant.id}/api-keys`],
        ['DELETE', `/admin/tenants/${tenant.id}/api-keys/${keyId}`],
      ];
      for (const [method, path, body] of paths) await expectError(await admin(method, path, body, 'wrong-admin-token-0123456789'), 401, 'UNAUTHENTICATED');
      expect((await json<Tenant>(await admin('GET', `/admin/tenants/${tenant.id}`))).status).toBe('active');
    });
  });

  describe('operator: API keys', () => {
    it('shows a key once, stores only its SHA-256, lists keys without secrets, and a revoked key is 401', async () => {
      const { tenant } = await newTenant();
      const res = await admin('POST', `/admin/tenants/${tenant.id}/api-keys`);
      expect(res.status).toBe(201);
      const key = await json<{ id: string; apiKey: string; prefix: string; createdAt: string }>(res);
      expect(key).toEqual({ id: expect.any(String), apiKey: expect.stringMatching(/^phx_live_[A-Za-z0-9_-]{43}$/), prefix: key.apiKey.slice(0, 17), createdAt: expect.any(String) });
      const rows: Array<Record<string, unknown>> = await ds.query(`SELECT * FROM tenant_api_keys WHERE id = $1`, [key.id]);
      expect(rows[0]?.key_hash).toBe(createHash('sha256').update(key.apiKey).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(key.apiKey);

      const listed = await json<Body[]>(await admin('GET', `/admin/tenants/${tenant.id}/api-keys`));
      expect(listed).toContainEqual({ id: key.id, prefix: key.prefix, createdAt: key.createdAt, revokedAt: null });
      expect(JSON.stringify(listed)).not.toContain(key.apiKey);

      await register(key.apiKey);
      const del = await admin('DELETE', `/admin/tenants/${tenant.id}/api-keys/${key.id}`);
      expect(del.status).toBe(204);
      expect((await admin('DELETE', `/admin/tenants/${tenant.id}/api-keys/${key.id}`)).status).toBe(204);
      const after = await json<Array<{ id: string; revokedAt: string | null }>>(await admin('GET', `/admin/tenants/${tenant.id}/api-keys`));
      expect(after.find((k) => k.id === key.id)?.revokedAt).toEqual(expect.any(String));
      await expectError(await api('POST', '/api/v1/auth/register', key.apiKey, { email: email(), password: PASSWORD }), 401, 'INVALID_API_KEY');
    });

    it('answers 401 INVALID_API_KEY for a missing, malformed or wrong key (a known prefix with another secret too)', async () => {
      const { apiKey } = await newTenant();
      const wrongSecret = apiKey.slice(0, 17) + (apiKey[17] === 'A' ? 'B' : 'A') + apiKey.slice(18);
      for (const k of [null, '', 'phx_live_short', 'Bearer x', wrongSecret, `${apiKey}x`]) {
        await expectError(await api('POST', '/api/v1/auth/register', k, { email: email(), password: PASSWORD }), 401, 'INVALID_API_KEY');
      }
    });
  });

  describe('suspended tenant', () => {
    it('answers 403 TENANT_SUSPENDED on every tenant call, and works again after resume', async () => {
      const { tenant, apiKey } = await newTenant();
      const u = await register(apiKey);
      const dev = await json<{ id: string }>(await api('POST', '/api/v1/devices', apiKey, { deviceName: 'phone', platform: 'ios' }, u.accessToken));
      await admin('POST', `/admin/tenants/${tenant.id}/suspend`);
      const calls: Array<[string, string, unknown?, string?]> = [
        ['POST', '/api/v1/auth/register', { email: email(), password: PASSWORD }],
        ['POST', '/api/v1/auth/login', { email: u.email, password: PASSWORD }],
        ['POST', '/api/v1/auth/refresh', { refreshToken: u.refreshToken }],
        ['GET', '/api/v1/auth/me', undefined, u.accessToken],
        ['POST', '/api/v1/devices', { deviceName: 'x', platform: 'ios' }, u.accessToken],
        ['GET', '/api/v1/devices', undefined, u.accessToken],
        ['DELETE', `/api/v1/devices/${dev.id}`, undefined, u.accessToken],
      ];
      for (const [method, path, body, token] of calls) await expectError(await api(method, path, apiKey, body, token), 403, 'TENANT_SUSPENDED');
      await admin('POST', `/admin/tenants/${tenant.id}/resume`);
      expect((await api('GET', '/api/v1/devices', apiKey, undefined, u.accessToken)).status).toBe(200);
      expect((await api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: u.refreshToken })).status).toBe(200);
    });
  });

  describe('tenant users', () => {
    it('registers (201, argon2id hash stored), refuses the same email in the tenant (409) and a short password (400)', async () => {
      const { tenant, apiKey } = await newTenant();
      const e = email();
      const res = await api('POST', '/api/v1/auth/register', apiKey, { email: e, password: PASSWORD });
      expect(res.status).toBe(201);
      const body = await json<Auth>(res);
      expect(body).toEqual({ user: { id: expect.any(String), email: e }, accessToken: expect.any(String), refreshToken: expect.any(String) });
      const rows: Array<{ password_hash: string; tenant_id: string }> = await ds.query(`SELECT password_hash, tenant_id FROM tenant_users WHERE id = $1`, [body.user.id]);
      expect(rows[0]?.tenant_id).toBe(tenant.id);
      expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await expectError(await api('POST', '/api/v1/auth/register', apiKey, { email: e.toUpperCase(), password: PASSWORD }), 409, 'EMAIL_TAKEN');
      await expectError(await api('POST', '/api/v1/auth/register', apiKey, { email: email(), password: 'short-9ch' }), 400, 'VALIDATION_FAILED');
      await expectError(await api('POST', '/api/v1/auth/register', apiKey, { email: 'not-an-email', password: PASSWORD }), 400, 'VALIDATION_FAILED');
    });

    it('answers 403 PLAN_LIMIT past maxUsers, also under concurrent registrations', async () => {
      const { apiKey } = await newTenant({ ...PLAN, maxUsers: 2 });
      const results = await Promise.all([0, 1, 2, 3].map(() => api('POST', '/api/v1/auth/register', apiKey, { email: email(), password: PASSWORD })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 201, 403, 403]);
      for (const r of results.filter((x) => x.status === 403)) expect((await json(r)).code).toBe('PLAN_LIMIT');
    });

    it('logs in (200, same shape as register); the access token is a 15-minute JWT with tenantId, issuer and audience', async () => {
      const { tenant, apiKey } = await newTenant();
      const u = await register(apiKey);
      const res = await api('POST', '/api/v1/auth/login', apiKey, { email: u.email, password: PASSWORD });
      expect(res.status).toBe(200);
      const body = await json<Auth>(res);
      expect(body).toEqual({ user: u.user, accessToken: expect.any(String), refreshToken: expect.any(String) });
      const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
      expect(claims).toMatchObject({ sub: u.user.id, tenantId: tenant.id, iss: TENANT_JWT_ISSUER, aud: TENANT_JWT_AUDIENCE });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
      const me = await api('GET', '/api/v1/auth/me', apiKey, undefined, body.accessToken);
      expect(me.status).toBe(200);
      expect(await json(me)).toEqual({ id: u.user.id, email: u.email, tenantId: tenant.id, createdAt: expect.any(String) });
    });

    it('answers an unknown email exactly like a wrong password, through the same single argon2id verification', async () => {
      const { apiKey } = await newTenant();
      const u = await register(apiKey);
      const hasher = t.app.get(PasswordHasher);
      const verify = jest.spyOn(hasher, 'verify');
      try {
        const wrong = await api('POST', '/api/v1/auth/login', apiKey, { email: u.email, password: 'wrong password!' });
        const wrongCall = verify.mock.calls.slice();
        verify.mockClear();
        const unknown = await api('POST', '/api/v1/auth/login', apiKey, { email: email('nobody'), password: 'wrong password!' });
        const unknownCall = verify.mock.calls.slice();
        expect(wrong.status).toBe(401);
        expect(unknown.status).toBe(401);
        expect(await wrong.text()).toBe(await unknown.text());
        expect([...wrong.headers.keys()].filter((h) => h !== 'date' && h !== 'x-request-id')).toEqual([...unknown.headers.keys()].filter((h) => h !== 'date' && h !== 'x-request-id'));
        // One verification each, same password, same argon2id parameters; the unknown email's is the dummy hash.
        expect(wrongCall).toHaveLength(1);
        expect(unknownCall).toHaveLength(1);
        const params = (h: string) => h.split('$').slice(0, 4).join('$');
        expect(params(unknownCall[0]?.[0] ?? '')).toBe(params(wrongCall[0]?.[0] ?? ''));
        expect(unknownCall[0]?.[0]).toBe(await hasher.dummyHash());
        expect(unknownCall[0]?.[1]).toBe(wrongCall[0]?.[1]);
      } finally {
        verify.mockRestore();
      }
    });

    it('rate-limits logins per account (429 RATE_LIMITED with Retry-After), counting unknown emails too', async () => {
      const { apiKey } = await newTenant();
      const u = await register(apiKey);
      for (let i = 0; i < 5; i++) expect((await api('POST', '/api/v1/auth/login', apiKey, { email: u.email, password: 'wrong password!' })).status).toBe(401);
      const limited = await api('POST', '/api/v1/auth/login', apiKey, { email: u.email, password: PASSWORD });
      await expectError(limited.clone(), 429, 'RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another account of the tenant is not affected.
      const other = await register(apiKey);
      expect((await api('POST', '/api/v1/auth/login', apiKey, { email: other.email, password: PASSWORD })).status).toBe(200);
      // An unknown email is counted the same way (no difference to observe).
      const nobody = email('nobody');
      for (let i = 0; i < 5; i++) await expectError(await api('POST', '/api/v1/auth/login', apiKey, { email: nobody, password: PASSWORD }), 401, 'INVALID_CREDENTIALS');
      await expectError(await api('POST', '/api/v1/auth/login', apiKey, { email: nobody, password: PASSWORD }), 429, 'RATE_LIMITED');
    });

    it('rate-limits logins per API key (TENANT_LOGIN_PER_KEY_PER_MINUTE), another key of the tenant is not affected', async () => {
      const secondPrefix = uniquePrefix();
      const second = await startTestApp(testEnv(db, secondPrefix, { TENANT_LOGIN_PER_KEY_PER_MINUTE: '3', TENANT_LOGIN_PER_ACCOUNT_PER_15_MIN: '100' }));
      try {
        const { tenant, apiKey } = await newTenant();
        const login = (k: string) => fetch(`${second.base}/api/v1/auth/login`, { method: 'POST', headers: { 'x-api-key': k, 'content-type': 'application/json' }, body: JSON.stringify({ email: email(), password: PASSWORD }) });
        for (let i = 0; i < 3; i++) expect((await login(apiKey)).status).toBe(401);
        await expectError(await login(apiKey), 429, 'RATE_LIMITED');
        const k2 = await json<{ apiKey: string }>(await admin('POST', `/admin/tenants/${tenant.id}/api-keys`));
        expect((await login(k2.apiKey)).status).toBe(401);
      } finally {
        await second.close();
        await dropRedisPrefix(secondPrefix);
      }
    });

    describe.each(redisClusterTargets())('on the Redis $name', ({ sideUrl, adminUrl }) => {
      it('counts login attempts per account and per key there too (each counter is one key)', async () => {
        const clusterPrefix = `${uniquePrefix()}:`;
        const redis = createRedis(sideUrl('auth-service'), 'tenants-spec');
        try {
          await waitForRedis(redis, 5000);
          const config = { ...t.config, REDIS_KEY_PREFIX: clusterPrefix, TENANT_LOGIN_PER_KEY_PER_MINUTE: 3, TENANT_LOGIN_PER_ACCOUNT_PER_15_MIN: 2 };
          const limiter = new LoginLimiter(redis, new Clock(), config);
          await limiter.attempt('tenant-1', 'key-1', 'a@example.com');
          await limiter.attempt('tenant-1', 'key-1', 'a@example.com');
          await expect(limiter.attempt('tenant-1', 'key-1', 'a@example.com')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
          await expect(limiter.attempt('tenant-1', 'key-1', 'b@example.com')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
          await limiter.attempt('tenant-1', 'key-2', 'b@example.com');
        } finally {
          await redis.quit().catch(() => redis.disconnect());
          await dropRedisPrefix(clusterPrefix, adminUrl);
        }
      });
    });

    it('refresh: a new pair, the token works once, and a reused one revokes its whole family', async () => {
      const { apiKey } = await newTenant();
      const u = await register(apiKey);
      const first = await api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: u.refreshToken });
      expect(first.status).toBe(200);
      const pair = await json<{ accessToken: string; refreshToken: string }>(first);
      expect(pair).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String) });
      expect((await api('GET', '/api/v1/auth/me', apiKey, undefined, pair.accessToken)).status).toBe(200);
      // A second login starts its own family, which a reuse in the first does not touch.
      const login = await json<Auth>(await api('POST', '/api/v1/auth/login', apiKey, { email: u.email, password: PASSWORD }));
      await expectError(await api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: u.refreshToken }), 401, 'INVALID_TOKEN');
      await expectError(await api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: pair.refreshToken }), 401, 'INVALID_TOKEN');
      expect((await api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: login.refreshToken })).status).toBe(200);
      await expectError(await api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: 'no-such-token' }), 401, 'INVALID_TOKEN');
      const stored: Array<{ token_hash: string }> = await ds.query(`SELECT token_hash FROM tenant_refresh_tokens WHERE user_id = $1`, [u.user.id]);
      expect(stored.map((r) => r.token_hash)).toContain(createHash('sha256').update(u.refreshToken).digest('hex'));
      expect(JSON.stringify(stored)).not.toContain(u.refreshToken);
    });

    it('refuses concurrent spends of one refresh token: at most one succeeds and the family is revoked', async () => {
      const { apiKey } = await newTenant();
      const u = await register(apiKey);
      const results = await Promise.all([0, 1, 2, 3, 4].map(() => api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: u.refreshToken })));
      const ok = results.filter((r) => r.status === 200);
      expect(ok.length).toBeLessThanOrEqual(1);
      expect(results.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(4);
      for (const r of ok) {
        const pair = await json<{ refreshToken: string }>(r);
        await expectError(await api('POST', '/api/v1/auth/refresh', apiKey, { refreshToken: pair.refreshToken }), 401, 'INVALID_TOKEN');
      }
    });

    it('me: 401 without a token, and for a forged, expired or wrong-audience token', async () => {
      const { tenant, apiKey } = await newTenant();
      const u = await register(apiKey);
      await expectError(await api('GET', '/api/v1/auth/me', apiKey), 401, 'UNAUTHENTICATED');
      const key = new TextEncoder().encode(t.config.TENANT_JWT_SECRET);
      const now = Math.floor(Date.now() / 1000);
      const make = (k: Uint8Array, claims: { aud?: string; iat?: number; exp?: number } = {}) =>
        new SignJWT({ tenantId: tenant.id })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(u.user.id)
          .setIssuer(TENANT_JWT_ISSUER)
          .setAudience(claims.aud ?? TENANT_JWT_AUDIENCE)
          .setIssuedAt(claims.iat ?? now)
          .setExpirationTime(claims.exp ?? now + 900)
          .sign(k);
      expect((await api('GET', '/api/v1/auth/me', apiKey, undefined, await make(key))).status).toBe(200);
      for (const token of [
        await make(new TextEncoder().encode('another-secret-of-at-least-32-characters')),
        await make(key, { iat: now - 1000, exp: now - 100 }),
        await make(key, { aud: 'someone-else' }),
        `${u.accessToken.split('.').slice(0, 2).join('.')}.`,
        'garbage',
      ]) {
        await expectError(await api('GET', '/api/v1/auth/me', apiKey, undefined, token), 401, 'INVALID_TOKEN');
      }
    });
  });

  describe('devices', () => {
    it('adds (201), lists, enforces maxDevicesPerUser (403 PLAN_LIMIT) and deletes (204, then 404)', async () => {
      const { apiKey } = await newTenant();
      const u = await register(apiKey);
      const res = await api('POST', '/api/v1/devices', apiKey, { deviceName: 'Work laptop', platform: 'macos' }, u.accessToken);
      expect(res.status).toBe(201);
      const d1 = await json<{ id: string }>(res);
      expect(d1).toEqual({ id: expect.any(String), deviceName: 'Work laptop', platform: 'macos', createdAt: expect.any(String) });
      const d2 = await json<{ id: string }>(await api('POST', '/api/v1/devices', apiKey, { deviceName: 'Phone', platform: 'ios' }, u.accessToken));
      await expectError(await api('POST', '/api/v1/devices', apiKey, { deviceName: 'Third', platform: 'android' }, u.accessToken), 403, 'PLAN_LIMIT');
      expect(await json(await api('GET', '/api/v1/devices', apiKey, undefined, u.accessToken))).toEqual([d1, d2]);
      // Another user of the tenant has their own allowance and does not see these devices.
      const other = await register(apiKey);
      expect(await json(await api('GET', '/api/v1/devices', apiKey, undefined, other.accessToken))).toEqual([]);
      await expectError(await api('DELETE', `/api/v1/devices/${d1.id}`, apiKey, undefined, other.accessToken), 404, 'NOT_FOUND');
      expect((await api('DELETE', `/api/v1/devices/${d1.id}`, apiKey, undefined, u.accessToken)).status).toBe(204);
      await expectError(await api('DELETE', `/api/v1/devices/${d1.id}`, apiKey, undefined, u.accessToken), 404, 'NOT_FOUND');
      await expectError(await api('DELETE', '/api/v1/devices/not-a-uuid', apiKey, undefined, u.accessToken), 404, 'NOT_FOUND');
      expect((await api('POST', '/api/v1/devices', apiKey, { deviceName: 'Third', platform: 'android' }, u.accessToken)).status).toBe(201);
    });

    it('validates the body and needs a Bearer token', async () => {
      const { apiKey } = await newTenant();
      const u = await register(apiKey);
      await expectError(await api('POST', '/api/v1/devices', apiKey, { deviceName: '', platform: 'ios' }, u.accessToken), 400, 'VALIDATION_FAILED');
      await expectError(await api('POST', '/api/v1/devices', apiKey, { deviceName: 'x', platform: 'i o s' }, u.accessToken), 400, 'VALIDATION_FAILED');
      await expectError(await api('POST', '/api/v1/devices', apiKey, { deviceName: 'x', platform: 'ios', publicKey: 'abc' }, u.accessToken), 400, 'VALIDATION_FAILED');
      await expectError(await api('GET', '/api/v1/devices', apiKey), 401, 'UNAUTHENTICATED');
    });

    it('stores no WireGuard key, address or connection on the identity side', async () => {
      const cols: Array<{ column_name: string }> = await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'tenant_devices' ORDER BY column_name`);
      expect(cols.map((c) => c.column_name)).toEqual(['created_at', 'device_name', 'id', 'platform', 'tenant_id', 'user_id']);
    });
  });

  describe('with Redis down', () => {
    it('login answers 503 UNAVAILABLE before any password work; register (Postgres only) still works', async () => {
      const down = await startTestApp(testEnv(db, prefix, { REDIS_URL: 'redis://127.0.0.1:1' }), { waitReady: false });
      try {
        const downDs = down.app.get(DataSource);
        for (let i = 0; i < 100 && !downDs.isInitialized; i++) await new Promise((r) => setTimeout(r, 100));
        const { apiKey } = await newTenant();
        const reg = await fetch(`${down.base}/api/v1/auth/register`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ email: email(), password: PASSWORD }) });
        expect(reg.status).toBe(201);
        const { user } = await json<Auth>(reg);
        const verify = jest.spyOn(down.app.get(PasswordHasher), 'verify');
        const res = await fetch(`${down.base}/api/v1/auth/login`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: PASSWORD }) });
        await expectError(res, 503, 'UNAVAILABLE');
        expect(verify).not.toHaveBeenCalled();
      } finally {
        await down.close();
      }
    });
  });

  describe('with the identity database unreachable', () => {
    it('answers 503 UNAVAILABLE on operator and tenant calls, never a 500', async () => {
      const { apiKey } = await newTenant();
      const down = await startTestApp(testEnv({ ...db, url: 'postgres://nobody:nothing@127.0.0.1:1/identity' }, prefix), { waitReady: false });
      try {
        const adminRes = await fetch(`${down.base}/admin/tenants`, { headers: bearer(t.config.ADMIN_TOKEN) });
        await expectError(adminRes, 503, 'UNAVAILABLE');
        const reg = await fetch(`${down.base}/api/v1/auth/register`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ email: email(), password: PASSWORD }) });
        await expectError(reg, 503, 'UNAVAILABLE');
      } finally {
        await down.close();
      }
    });
  });

  describe('isolation: a second tenant never reaches the first one', () => {
    it('answers 404 (or 401 for the other tenant’s tokens) on every endpoint, never the other tenant’s data', async () => {
      const a = await newTenant();
      const b = await newTenant();
      const ua = await register(a.apiKey);
      const devA = await json<{ id: string }>(await api('POST', '/api/v1/devices', a.apiKey, { deviceName: 'A phone', platform: 'ios' }, ua.accessToken));
      const ua2 = await register(a.apiKey);
      const ub = await register(b.apiKey);

      // The same email is a different, independent user in B.
      const sameEmail = await register(b.apiKey, ua.email);
      expect(sameEmail.user.id).not.toBe(ua.user.id);
      expect(await json(await api('GET', '/api/v1/auth/me', b.apiKey, undefined, sameEmail.accessToken))).toMatchObject({ id: sameEmail.user.id, tenantId: b.tenant.id });
      // A's credentials, refresh token and access token mean nothing with B's key.
      await expectError(await api('POST', '/api/v1/auth/login', b.apiKey, { email: ua2.email, password: PASSWORD }), 401, 'INVALID_CREDENTIALS');
      await expectError(await api('POST', '/api/v1/auth/refresh', b.apiKey, { refreshToken: ua.refreshToken }), 401, 'INVALID_TOKEN');
      await expectError(await api('GET', '/api/v1/auth/me', b.apiKey, undefined, ua.accessToken), 401, 'INVALID_TOKEN');
      await expectError(await api('GET', '/api/v1/devices', b.apiKey, undefined, ua.accessToken), 401, 'INVALID_TOKEN');
      await expectError(await api('POST', '/api/v1/devices', b.apiKey, { deviceName: 'x', platform: 'ios' }, ua.accessToken), 401, 'INVALID_TOKEN');
      await expectError(await api('DELETE', `/api/v1/devices/${devA.id}`, b.apiKey, undefined, ua.accessToken), 401, 'INVALID_TOKEN');
      // B's own user with A's ids: 404 / empty.
      await expectError(await api('DELETE', `/api/v1/devices/${devA.id}`, b.apiKey, undefined, ub.accessToken), 404, 'NOT_FOUND');
      const listB = await api('GET', '/api/v1/devices', b.apiKey, undefined, ub.accessToken);
      expect(await json(listB)).toEqual([]);
      // Operator paths: A's key id under B's tenant is 404, and A's key still works.
      await expectError(await admin('DELETE', `/admin/tenants/${b.tenant.id}/api-keys/${a.keyId}`), 404, 'NOT_FOUND');
      const keysB = await json<Array<{ id: string }>>(await admin('GET', `/admin/tenants/${b.tenant.id}/api-keys`));
      expect(keysB.map((k) => k.id)).toEqual([b.keyId]);
      // Nothing was touched in A.
      expect(await json(await api('GET', '/api/v1/devices', a.apiKey, undefined, ua.accessToken))).toEqual([devA]);
      expect((await api('GET', '/api/v1/auth/me', a.apiKey, undefined, ua.accessToken)).status).toBe(200);
      // And B's tokens are refused in A the same way.
      await expectError(await api('GET', '/api/v1/auth/me', a.apiKey, undefined, ub.accessToken), 401, 'INVALID_TOKEN');
      await expectError(await api('POST', '/api/v1/auth/refresh', a.apiKey, { refreshToken: ub.refreshToken }), 401, 'INVALID_TOKEN');
    });
  });
});
