import { createHash } from 'node:crypto';
import { dropRedisPrefix } from '@phoenix/common/testing';
import { base64urlDecode, base64urlEncode, createTokenRequest, decodeTokenRequest, encodeTokenChallenge, finalizeToken, parseIssuerDirectory, verifyToken } from '@phoenix/crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { TestApp, TestDatabase, bearer, json, migratedTestDatabase, startTestApp, testEnv, uniquePrefix } from '../../test/helpers';
import { SignerPool } from './signer.pool';

// Per-tenant Privacy Pass issuers (issue 17 item 4) through HTTP, on the stack's Postgres and Redis.
const ISSUER = 'issuer.phoenix.test';
const PER_DEVICE = 3;
const PLAN = { maxUsers: 5, maxDevicesPerUser: 3, tokensPerDevicePerDay: PER_DEVICE, leaseTtlHours: 12 };
const PASSWORD = 'correct horse battery';

interface TokenIssuer {
  issuer: string;
  tenantId: string | null;
  leaseTtlHours: number | null;
  'token-keys': Array<{ 'token-type': number; 'token-key': string; 'not-before': number }>;
}
interface Batch {
  tokenKeyId: string;
  blindSignatures: string[];
  expiresAt: string;
}
interface Party {
  tenantId: string;
  apiKey: string;
  access: string;
  deviceId: string;
}

const keyId = (tokenKey: Uint8Array) => createHash('sha256').update(tokenKey).digest();
let seq = 0;

describe('tenant token issuers (API.md "B2B tenants", item 4)', () => {
  let db: TestDatabase;
  let t: TestApp;
  const prefix = uniquePrefix();
  const issued: Uint8Array[] = [];

  beforeAll(async () => {
    db = await migratedTestDatabase();
    // No key cache: a tenant created a moment ago is listed at once (tenant-issuers.integration-spec.ts
    // covers the cache with an injected clock).
    t = await startTestApp(testEnv(db, prefix, { TOKEN_ISSUER_NAME: ISSUER, ISSUER_KEY_CACHE_SECONDS: '0' }));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await dropRedisPrefix(prefix);
  });

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${t.base}${path}`, { method, headers: { ...bearer(t.config.ADMIN_TOKEN), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const api = (method: string, path: string, apiKey: string, body?: unknown, access?: string) =>
    fetch(`${t.base}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, ...(access ? bearer(access) : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const expectError = async (res: Response, status: number, code: string) => {
    expect({ status: res.status, code: (await json(res)).code }).toEqual({ status, code });
  };

  async function newTenant(plan = PLAN): Promise<{ tenantId: string; apiKey: string }> {
    const tenant = await json<{ id: string }>(await admin('POST', '/admin/tenants', { name: `T${seq++}`, plan }));
    const { apiKey } = await json<{ apiKey: string }>(await admin('POST', `/admin/tenants/${tenant.id}/api-keys`));
    return { tenantId: tenant.id, apiKey };
  }
  async function newUserWithDevice(tenantId: string, apiKey: string): Promise<Party> {
    const reg = await api('POST', '/api/v1/auth/register', apiKey, { email: `u${seq++}-${Date.now()}@example.com`, password: PASSWORD });
    expect(reg.status).toBe(201);
    const { accessToken } = await json<{ accessToken: string }>(reg);
    const dev = await api('POST', '/api/v1/devices', apiKey, { deviceName: 'Laptop', platform: 'macos' }, accessToken);
    expect(dev.status).toBe(201);
    return { tenantId, apiKey, access: accessToken, deviceId: (await json<{ id: string }>(dev)).id };
  }
  async function newDevice(p: Party): Promise<string> {
    return (await json<{ id: string }>(await api('POST', '/api/v1/devices', p.apiKey, { deviceName: 'Phone', platform: 'ios' }, p.access))).id;
  }
  async function tenantKey(tenantId: string): Promise<Uint8Array> {
    const dir = parseIssuerDirectory(await (await fetch(`${t.base}/tenants/${tenantId}/.well-known/private-token-issuer-directory`)).text());
    return dir.tokenKeys[0]!.tokenKey;
  }
  const challengeFor = (tenantId: string) => encodeTokenChallenge({ tokenType: 2, issuerName: `${ISSUER}/tenants/${tenantId}`, redemptionContext: new Uint8Array(0), originInfo: [] });
  const requests = (key: Uint8Array, tenantId: string, n: number) => Array.from({ length: n }, () => createTokenRequest(key, challengeFor(tenantId)));
  const tokens = (p: Party, blinded: string[], deviceId = p.deviceId) => api('POST', `/api/v1/devices/${deviceId}/tokens`, p.apiKey, { blindedMessages: blinded }, p.access);
  const blindedOf = (reqs: ReturnType<typeof requests>) => reqs.map((r) => base64urlEncode(decodeTokenRequest(r.request).blindedMsg));

  let a: Party;
  let b: Party;
  let keyA: Uint8Array;
  let keyB: Uint8Array;
  let consumerKey: Uint8Array;

  beforeAll(async () => {
    const ta = await newTenant();
    const tb = await newTenant();
    a = await newUserWithDevice(ta.tenantId, ta.apiKey);
    b = await newUserWithDevice(tb.tenantId, tb.apiKey);
    keyA = await tenantKey(a.tenantId);
    keyB = await tenantKey(b.tenantId);
    consumerKey = parseIssuerDirectory(await (await fetch(`${t.base}/.well-known/private-token-issuer-directory`)).text()).tokenKeys[0]!.tokenKey;
  });

  it("signs a device's blinded messages under its tenant's key, not under the consumer key", async () => {
    const reqs = requests(keyA, a.tenantId, 2);
    const res = await tokens(a, blindedOf(reqs));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await json<Batch>(res);
    expect(Object.keys(body).sort()).toEqual(['blindSignatures', 'expiresAt', 'tokenKeyId']);
    expect(base64urlDecode(body.tokenKeyId)).toEqual(new Uint8Array(keyId(keyA)));
    expect(body.blindSignatures).toHaveLength(2);
    const days = (Date.parse(body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThanOrEqual(14);
    reqs.forEach((r, i) => {
      const sig = base64urlDecode(body.blindSignatures[i]!);
      issued.push(decodeTokenRequest(r.request).blindedMsg, sig);
      const token = finalizeToken(r.state, sig);
      expect(verifyToken(keyA, token)).toBe(true);
      // Under the consumer key (or another tenant's) the signature is no signature, whatever key id it claims.
      expect(verifyToken(consumerKey, token)).toBe(false);
      expect(verifyToken(consumerKey, { ...token, tokenKeyId: new Uint8Array(keyId(consumerKey)) })).toBe(false);
      expect(verifyToken(keyB, { ...token, tokenKeyId: new Uint8Array(keyId(keyB)) })).toBe(false);
    });
  });

  it("gives each tenant its own keys, and its own directory (media type, Cache-Control, ETag, 304, issuer-request-uri)", async () => {
    expect(Buffer.from(keyA).equals(Buffer.from(keyB))).toBe(false);
    expect(Buffer.from(keyA).equals(Buffer.from(consumerKey))).toBe(false);
    const res = await fetch(`${t.base}/tenants/${a.tenantId}/.well-known/private-token-issuer-directory`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/private-token-issuer-directory');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const body = await json<{ 'issuer-request-uri': string; 'token-keys': unknown[] }>(res);
    expect(body['issuer-request-uri']).toBe('/api/v1/devices/{deviceId}/tokens');
    expect(body['token-keys']).toHaveLength(1);
    const again = await fetch(`${t.base}/tenants/${a.tenantId}/.well-known/private-token-issuer-directory`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const b1 = await tokens(b, blindedOf(requests(keyB, b.tenantId, 1)));
    expect(base64urlDecode((await json<Batch>(b1)).tokenKeyId)).toEqual(new Uint8Array(keyId(keyB)));
  });

  it('answers 404 NOT_FOUND for the directory of an unknown or malformed tenant id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) await expectError(await fetch(`${t.base}/tenants/${id}/.well-known/private-token-issuer-directory`), 404, 'NOT_FOUND');
  });

  it(`counts per device per day: ${PER_DEVICE} a day, then 429 QUOTA_EXCEEDED with Retry-After; another device has its own count`, async () => {
    const p = await newUserWithDevice(a.tenantId, a.apiKey);
    expect((await tokens(p, blindedOf(requests(keyA, a.tenantId, 2)))).status).toBe(200);
    // 2 of 3 used: a batch of 2 does not fit, 1 does, then nothing does.
    await expectError(await tokens(p, blindedOf(requests(keyA, a.tenantId, 2))), 429, 'QUOTA_EXCEEDED');
    expect((await tokens(p, blindedOf(requests(keyA, a.tenantId, 1)))).status).toBe(200);
    const over = await tokens(p, blindedOf(requests(keyA, a.tenantId, 1)));
    expect(over.status).toBe(429);
    const retry = Number(over.headers.get('retry-after'));
    expect(Number.isInteger(retry) && retry > 0 && retry <= 86_400).toBe(true);
    expect((await json(over)).code).toBe('QUOTA_EXCEEDED');
    const second = await newDevice(p);
    expect((await tokens(p, blindedOf(requests(keyA, a.tenantId, PER_DEVICE)), second)).status).toBe(200);
    // The count is per device only: a hash of hour → count, nothing else.
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    try {
      const counts = await redis.hgetall(`${prefix}:device-quota:${p.deviceId}`);
      expect(Object.values(counts).reduce((s, v) => s + Number(v), 0)).toBe(PER_DEVICE);
      for (const [field, value] of Object.entries(counts)) expect(`${field}=${value}`).toMatch(/^\d+=\d+$/);
    } finally {
      redis.disconnect();
    }
  });

  it("answers 404 for another tenant's device, another user's device, a deleted device — and signs nothing", async () => {
    const spy = jest.spyOn(t.app.get(SignerPool), 'sign');
    try {
      const blinded = blindedOf(requests(keyA, a.tenantId, 1));
      // B's key and user, A's device id.
      await expectError(await tokens(b, blinded, a.deviceId), 404, 'NOT_FOUND');
      // Another user of A, A's first user's device.
      const other = await newUserWithDevice(a.tenantId, a.apiKey);
      await expectError(await tokens(other, blinded, a.deviceId), 404, 'NOT_FOUND');
      await expectError(await tokens(a, blinded, 'not-a-uuid'), 404, 'NOT_FOUND');
      const gone = await newDevice(a);
      expect((await api('DELETE', `/api/v1/devices/${gone}`, a.apiKey, undefined, a.access)).status).toBe(204);
      await expectError(await tokens(a, blinded, gone), 404, 'NOT_FOUND');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses a suspended tenant with 403 TENANT_SUSPENDED and no signature, and issues again once resumed', async () => {
    const c = await newTenant();
    const p = await newUserWithDevice(c.tenantId, c.apiKey);
    const key = await tenantKey(c.tenantId);
    expect((await admin('POST', `/admin/tenants/${c.tenantId}/suspend`)).status).toBe(200);
    const spy = jest.spyOn(t.app.get(SignerPool), 'sign');
    try {
      await expectError(await tokens(p, blindedOf(requests(key, c.tenantId, 1))), 403, 'TENANT_SUSPENDED');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    // Still listed while suspended: tokens it issued stay redeemable.
    const listed = await json<TokenIssuer[]>(await fetch(`${t.base}/token-issuers`));
    expect(listed.find((e) => e.tenantId === c.tenantId)?.['token-keys']).toHaveLength(1);
    expect((await admin('POST', `/admin/tenants/${c.tenantId}/resume`)).status).toBe(200);
    expect((await tokens(p, blindedOf(requests(key, c.tenantId, 1)))).status).toBe(200);
  });

  it.each<[string, unknown]>([
    ['an empty batch', { blindedMessages: [] }],
    ['21 messages', { blindedMessages: Array.from({ length: 21 }, () => 'AA') }],
    ['not base64url', { blindedMessages: ['not base64url!'] }],
    ['wrong length', { blindedMessages: [base64urlEncode(new Uint8Array(255))] }],
    ['a message not below n', { blindedMessages: [base64urlEncode(new Uint8Array(256).fill(0xff))] }],
    ['an unknown field', { blindedMessages: [base64urlEncode(new Uint8Array(256))], deviceId: 'x' }],
    ['null', null],
  ])('answers %s with 400 as POST /auth/vpn-token does', async (_name, body) => {
    const res = await fetch(`${t.base}/api/v1/devices/${a.deviceId}/tokens`, { method: 'POST', headers: { 'x-api-key': a.apiKey, ...bearer(a.access), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(['VALIDATION_FAILED', 'MALFORMED_BODY']).toContain((await json(res)).code);
  });

  it('needs JSON, the API key and the access token', async () => {
    const path = `${t.base}/api/v1/devices/${a.deviceId}/tokens`;
    const body = JSON.stringify({ blindedMessages: blindedOf(requests(keyA, a.tenantId, 1)) });
    expect((await fetch(path, { method: 'POST', headers: { 'x-api-key': a.apiKey, ...bearer(a.access), 'content-type': 'application/private-token-request' }, body })).status).toBe(415);
    await expectError(await fetch(path, { method: 'POST', headers: { ...bearer(a.access), 'content-type': 'application/json' }, body }), 401, 'INVALID_API_KEY');
    await expectError(await fetch(path, { method: 'POST', headers: { 'x-api-key': a.apiKey, 'content-type': 'application/json' }, body }), 401, 'UNAUTHENTICATED');
    await expectError(await fetch(path, { method: 'POST', headers: { 'x-api-key': b.apiKey, ...bearer(a.access), 'content-type': 'application/json' }, body }), 401, 'INVALID_TOKEN');
  });

  it('GET /token-issuers: the consumer issuer first, then every tenant, with key ids matching what they sign with; ETag and 304', async () => {
    const res = await fetch(`${t.base}/token-issuers`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag')!;
    const list = await json<TokenIssuer[]>(res);
    expect(list[0]).toEqual({ issuer: ISSUER, tenantId: null, leaseTtlHours: null, 'token-keys': [expect.objectContaining({ 'token-type': 2, 'token-key': base64urlEncode(consumerKey) })] });
    const tenants = (await json<Array<{ id: string; plan: { leaseTtlHours: number } }>>(await admin('GET', '/admin/tenants'))).map((x) => x.id);
    expect(list.slice(1).map((e) => e.tenantId)).toEqual(tenants);
    for (const e of list.slice(1)) {
      expect(Object.keys(e).sort()).toEqual(['issuer', 'leaseTtlHours', 'tenantId', 'token-keys']);
      expect(e.issuer).toBe(`${ISSUER}/tenants/${e.tenantId}`);
      expect(e.leaseTtlHours).toBe(PLAN.leaseTtlHours);
      expect(e['token-keys'].length).toBeGreaterThanOrEqual(1);
    }
    const entryA = list.find((e) => e.tenantId === a.tenantId)!;
    expect(entryA['token-keys'].map((k) => k['token-key'])).toEqual([base64urlEncode(keyA)]);
    // The key id of each listed key (SHA-256 of token-key) is what the tenant's tokens carry.
    const signed = await json<Batch>(await tokens(a, blindedOf(requests(keyA, a.tenantId, 1)), await newDevice(a)));
    expect(entryA['token-keys'].map((k) => base64urlEncode(keyId(base64urlDecode(k['token-key']))))).toContain(signed.tokenKeyId);
    // Key ids never repeat across issuers.
    const ids = list.flatMap((e) => e['token-keys'].map((k) => k['token-key']));
    expect(new Set(ids).size).toBe(ids.length);
    const again = await fetch(`${t.base}/token-issuers`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
  });

  it("lists a new tenant at once, with first keys made on first need, and changes the ETag", async () => {
    const before = (await fetch(`${t.base}/token-issuers`)).headers.get('etag');
    const d = await newTenant();
    const res = await fetch(`${t.base}/token-issuers`, { headers: { 'if-none-match': before! } });
    expect(res.status).toBe(200);
    const entry = (await json<TokenIssuer[]>(res)).find((e) => e.tenantId === d.tenantId)!;
    expect(entry['token-keys']).toHaveLength(1);
    expect(entry['token-keys'][0]!['token-key']).toBe(base64urlEncode(await tenantKey(d.tenantId)));
  });

  it('POST /admin/issuer-keys/rotate runs every issuer: idempotent, and forced it retires each tenant key, still listed, and signs with the next', async () => {
    const headers = { ...bearer(t.config.ADMIN_TOKEN), 'content-type': 'application/json' };
    const count = (await json<unknown[]>(await admin('GET', '/admin/tenants'))).length;
    const plain = await fetch(`${t.base}/admin/issuer-keys/rotate`, { method: 'POST', headers, body: '{}' });
    expect(plain.status).toBe(200);
    expect((await json<{ tenants: unknown }>(plain)).tenants).toEqual({ issuers: count, rotated: 0, created: 0, removed: 0, retired: 0 });
    await new Promise((r) => setTimeout(r, 1100)); // a key signs for at least a second
    const forced = await fetch(`${t.base}/admin/issuer-keys/rotate`, { method: 'POST', headers, body: '{"force":true}' });
    expect(forced.status).toBe(200);
    const f = await json<{ retired: string[]; tenants: { issuers: number; retired: number } }>(forced);
    expect(f.retired).toHaveLength(1);
    expect(f.tenants).toMatchObject({ issuers: count, rotated: count, retired: count });
    const dir = parseIssuerDirectory(await (await fetch(`${t.base}/tenants/${a.tenantId}/.well-known/private-token-issuer-directory`)).text());
    expect(dir.tokenKeys.map((k) => base64urlEncode(k.tokenKey))).toEqual([expect.any(String), base64urlEncode(keyA)]);
    const next = dir.tokenKeys[0]!.tokenKey;
    await new Promise((r) => setTimeout(r, 1100));
    const reqs = requests(next, a.tenantId, 1);
    const body = await json<Batch>(await tokens(a, blindedOf(reqs), await newDevice(a)));
    expect(base64urlDecode(body.tokenKeyId)).toEqual(new Uint8Array(keyId(next)));
    expect(verifyToken(next, finalizeToken(reqs[0]!.state, base64urlDecode(body.blindSignatures[0]!)))).toBe(true);
  });

  it('answers 503 UNAVAILABLE and signs nothing while Redis (the per-device count) is down', async () => {
    const down = await startTestApp(testEnv(db, prefix, { TOKEN_ISSUER_NAME: ISSUER, REDIS_URL: 'redis://127.0.0.1:1' }), { waitReady: false });
    try {
      const spy = jest.spyOn(down.app.get(SignerPool), 'sign');
      const res = await fetch(`${down.base}/api/v1/devices/${a.deviceId}/tokens`, {
        method: 'POST',
        headers: { 'x-api-key': a.apiKey, ...bearer(a.access), 'content-type': 'application/json' },
        body: JSON.stringify({ blindedMessages: blindedOf(requests(keyA, a.tenantId, 1)) }),
      });
      await expectError(res, 503, 'UNAVAILABLE');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      await down.close();
    }
  });

  it('stores nothing of the messages or signatures (every text/bytea column, every Redis key under the prefix)', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(4);
    const needles = issued.flatMap((x) => [Buffer.from(x).toString('hex'), Buffer.from(x).toString('base64'), Buffer.from(x).toString('base64url')]);
    const ds = t.app.get(DataSource);
    const cols: Array<{ table_name: string; column_name: string; data_type: string }> = await ds.query(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'bytea', 'jsonb', 'json')`,
    );
    for (const c of cols) {
      const rows: Array<{ v: string | Buffer | null }> = await ds.query(`SELECT "${c.column_name}"::${c.data_type === 'bytea' ? 'bytea' : 'text'} AS v FROM "${c.table_name}"`);
      for (const { v } of rows) {
        if (v === null) continue;
        const text = Buffer.isBuffer(v) ? v.toString('hex') : v;
        for (const n of needles) expect(text.includes(n)).toBe(false);
        if (Buffer.isBuffer(v)) for (const x of issued) expect(v.includes(Buffer.from(x).subarray(0, 48))).toBe(false);
      }
    }
    const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
    try {
      for (const k of await redis.keys(`${prefix}*`)) {
        const type = await redis.type(k);
        const text = [k, ...(type === 'hash' ? Object.entries(await redis.hgetall(k)).flat() : type === 'string' ? [(await redis.get(k)) ?? ''] : [])].join('\n');
        for (const n of needles) expect(text.includes(n)).toBe(false);
      }
    } finally {
      redis.disconnect();
    }
  });
});
