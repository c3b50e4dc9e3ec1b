import {
  TOKEN_TYPE_BLIND_RSA,
  base64urlDecode,
  base64urlEncode,
  createTokenRequest,
  decodeTokenRequest,
  encodeTokenChallenge,
  encodeTokenRequest,
  finalizeToken,
  parseIssuerDirectory,
  verifyToken,
} from '@phoenix/crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { TestApp, TestDatabase, bearer, json, migratedTestDatabase, postStripe, signUp, signedStripeEvent, startTestApp, testEnv, uniquePrefix } from '../../test/helpers';
import { SignerPool } from './signer.pool';

const challenge = encodeTokenChallenge({ tokenType: 2, issuerName: 'auth.phoenix.test', redemptionContext: new Uint8Array(0), originInfo: [] });
const QUOTA = 6;
const WEBHOOK_SECRET = 'whsec_test_issuance_0123456789';

describe('token issuance (real Postgres, Redis, Firebase emulator)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let prefix: string;
  let tokenKey: Uint8Array;
  const issued: { msgs: Uint8Array[]; sigs: Uint8Array[] } = { msgs: [], sigs: [] };

  beforeAll(async () => {
    db = await migratedTestDatabase();
    prefix = uniquePrefix();
    t = await startTestApp(testEnv(db, prefix, { TOKEN_QUOTA_PER_DAY: String(QUOTA), STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET }));
    const dir = await fetch(`${t.base}/.well-known/private-token-issuer-directory`);
    tokenKey = parseIssuerDirectory(await dir.text()).tokenKeys[0].tokenKey;
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  async function tokenRequest(idToken: string, body: Uint8Array, type = 'application/private-token-request'): Promise<Response> {
    return fetch(`${t.base}/token-request`, { method: 'POST', headers: { ...bearer(idToken), 'content-type': type }, body: Buffer.from(body) });
  }

  describe('the issuer directory', () => {
    it('lists the current key as a type 2 RSASSA-PSS token key, cacheable with a strong ETag', async () => {
      const res = await fetch(`${t.base}/.well-known/private-token-issuer-directory`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/private-token-issuer-directory');
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const body = (await res.json()) as { 'issuer-request-uri': string; 'token-keys': Array<{ 'token-type': number; 'token-key': string; 'not-before': number }> };
      expect(body['issuer-request-uri']).toBe('/token-request');
      // A fresh store: only the current key. The next one is listed a day and a max-age before it
      // signs (issuer-keys.integration-spec.ts walks the schedule with an injected clock).
      expect(body['token-keys']).toHaveLength(1);
      expect(body['token-keys'][0]['token-type']).toBe(TOKEN_TYPE_BLIND_RSA);
      expect(base64urlDecode(body['token-keys'][0]['token-key'])).toHaveLength(342);
      expect(body['token-keys'][0]['not-before']).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
      const again = await fetch(`${t.base}/.well-known/private-token-issuer-directory`, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
    });
  });

  describe('an entitled user', () => {
    let idToken: string;
    let userId: string;

    beforeAll(async () => {
      ({ idToken } = await signUp());
    });

    it('is refused before having a trial or subscription (403 NOT_ENTITLED)', async () => {
      const acc = await fetch(`${t.base}/account`, { headers: bearer(idToken) });
      expect(acc.status).toBe(200);
      userId = (await json<{ id: string }>(acc)).id;
      const { request } = createTokenRequest(tokenKey, challenge);
      const res = await tokenRequest(idToken, request);
      expect(res.status).toBe(403);
      expect((await json(res)).code).toBe('NOT_ENTITLED');
    });

    it('gets a blind signature that finalizes to a valid token after starting the trial', async () => {
      const trial = await fetch(`${t.base}/account/trial`, { method: 'POST', headers: bearer(idToken) });
      expect(trial.status).toBe(201);
      expect(await trial.json()).toMatchObject({ status: 'trialing', provider: 'trial', entitled: true });
      const { request, state } = createTokenRequest(tokenKey, challenge);
      const res = await tokenRequest(idToken, request);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/private-token-response');
      const sig = new Uint8Array(await res.arrayBuffer());
      expect(sig).toHaveLength(256);
      const token = finalizeToken(state, sig);
      expect(verifyToken(tokenKey, token, undefined)).toBe(true);
      issued.msgs.push(decodeTokenRequest(request).blindedMsg);
      issued.sigs.push(sig);
    });

    it('gets a batch of signatures as JSON, each finalizing, with the key id and expiry', async () => {
      const reqs = [0, 1, 2].map(() => createTokenRequest(tokenKey, challenge));
      const res = await fetch(`${t.base}/auth/vpn-token`, {
        method: 'POST',
        headers: { ...bearer(idToken), 'content-type': 'application/json' },
        body: JSON.stringify({ blindedMessages: reqs.map((r) => base64urlEncode(decodeTokenRequest(r.request).blindedMsg)) }),
      });
      expect(res.status).toBe(200);
      const body = await json<{ tokenKeyId: string; blindSignatures: string[]; expiresAt: string }>(res);
      expect(base64urlDecode(body.tokenKeyId)).toHaveLength(32);
      expect(body.blindSignatures).toHaveLength(3);
      // Key signs for 7 days and stays redeemable 7 more: expiry 7-14 days from now.
      const days = (Date.parse(body.expiresAt) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(13.9);
      expect(days).toBeLessThanOrEqual(14);
      reqs.forEach((r, i) => {
        const sig = base64urlDecode(body.blindSignatures[i]);
        expect(verifyToken(tokenKey, finalizeToken(r.state, sig))).toBe(true);
        issued.msgs.push(decodeTokenRequest(r.request).blindedMsg);
        issued.sigs.push(sig);
      });
    });

    it('counts each message against the quota and answers 429 with Retry-After when it runs out', async () => {
      // 4 of 6 used; a batch of 3 does not fit, 2 does, then even 1 does not.
      const batch = (n: number) =>
        fetch(`${t.base}/auth/vpn-token`, {
          method: 'POST',
          headers: { ...bearer(idToken), 'content-type': 'application/json' },
          body: JSON.stringify({ blindedMessages: Array.from({ length: n }, () => base64urlEncode(decodeTokenRequest(createTokenRequest(tokenKey, challenge).request).blindedMsg)) }),
        });
      const tooMany = await batch(3);
      expect(tooMany.status).toBe(429);
      expect((await json(tooMany)).code).toBe('QUOTA_EXCEEDED');
      expect((await batch(2)).status).toBe(200);
      const res = await tokenRequest(idToken, createTokenRequest(tokenKey, challenge).request);
      expect(res.status).toBe(429);
      const retry = Number(res.headers.get('retry-after'));
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(86_400);
      expect((await json(res)).code).toBe('QUOTA_EXCEEDED');
    });

    it('stores nothing of the messages or signatures: every text/bytea column and every Redis key under the prefix', async () => {
      expect(issued.msgs.length).toBeGreaterThanOrEqual(4);
      const needles = [...issued.msgs, ...issued.sigs].flatMap((b) => {
        const buf = Buffer.from(b);
        return [buf.toString('hex'), buf.toString('base64'), buf.toString('base64url'), buf.subarray(0, 32).toString('hex')];
      });
      const rawNeedles = [...issued.msgs, ...issued.sigs].map((b) => Buffer.from(b).subarray(0, 48));
      const ds = t.app.get(DataSource);
      const cols: Array<{ table_name: string; column_name: string; data_type: string }> = await ds.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'bytea', 'jsonb', 'json')`,
      );
      expect(cols.length).toBeGreaterThan(10);
      for (const c of cols) {
        const rows: Array<{ v: string | Buffer | null }> = await ds.query(`SELECT "${c.column_name}"::${c.data_type === 'bytea' ? 'bytea' : 'text'} AS v FROM "${c.table_name}"`);
        for (const { v } of rows) {
          if (v === null) continue;
          if (Buffer.isBuffer(v)) {
            for (const n of rawNeedles) expect(v.includes(n)).toBe(false);
            const hex = v.toString('hex');
            for (const n of needles) expect(hex.includes(n)).toBe(false);
          } else {
            for (const n of needles) expect(v.includes(n)).toBe(false);
          }
        }
      }
      // As the admin: the service's own Redis user may not list keys (KEYS and SCAN show every side's).
      const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
      try {
        const keys = await redis.keys(`${prefix}*`);
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) {
          const type = await redis.type(k);
          const dump: string[] = [k];
          if (type === 'string') dump.push((await redis.getBuffer(k))!.toString('latin1'));
          else if (type === 'hash') dump.push(...Object.entries(await redis.hgetall(k)).flat());
          else if (type === 'list') dump.push(...(await redis.lrange(k, 0, -1)));
          else if (type === 'set') dump.push(...(await redis.smembers(k)));
          else if (type === 'zset') dump.push(...(await redis.zrange(k, 0, -1)));
          const text = dump.join('\n');
          for (const n of needles) expect(text.includes(n)).toBe(false);
          for (const n of rawNeedles) expect(Buffer.from(text, 'latin1').includes(n)).toBe(false);
        }
        // The quota hash holds only hour → count.
        const quota = await redis.hgetall(`${prefix}:quota:${userId}`);
        expect(Object.values(quota).reduce((a, b) => a + Number(b), 0)).toBe(QUOTA);
        for (const [field, value] of Object.entries(quota)) {
          expect(field).toMatch(/^\d+$/);
          expect(value).toMatch(/^\d+$/);
        }
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('a subscriber whose Stripe subscription is deleted', () => {
    it('is entitled while active and refused (403) once the deletion arrives', async () => {
      const { idToken } = await signUp();
      const userId = (await json<{ id: string }>(await fetch(`${t.base}/account`, { headers: bearer(idToken) }))).id;
      const now = Math.floor(Date.now() / 1000);
      const sub = { id: 'sub_issuance_1', object: 'subscription', customer: 'cus_issuance_1', status: 'active', cancel_at_period_end: false, metadata: { userId }, items: { object: 'list', data: [{ current_period_end: now + 30 * 86400, price: { id: 'price_dev_monthly' } }] } };
      expect((await postStripe(t.base, signedStripeEvent(WEBHOOK_SECRET, 'customer.subscription.created', sub, { created: now - 10 }))).status).toBe(200);
      expect((await tokenRequest(idToken, createTokenRequest(tokenKey, challenge).request)).status).toBe(200);
      expect((await postStripe(t.base, signedStripeEvent(WEBHOOK_SECRET, 'customer.subscription.deleted', { ...sub, status: 'canceled', ended_at: now }, { created: now }))).status).toBe(200);
      const res = await tokenRequest(idToken, createTokenRequest(tokenKey, challenge).request);
      expect(res.status).toBe(403);
      expect((await json(res)).code).toBe('NOT_ENTITLED');
    });
  });

  describe('bad requests', () => {
    let idToken: string;
    beforeAll(async () => {
      ({ idToken } = await signUp());
      await fetch(`${t.base}/account/trial`, { method: 'POST', headers: bearer(idToken) });
    });

    it('answers 400 UNKNOWN_KEY_ID for a request naming another key', async () => {
      const { request } = createTokenRequest(tokenKey, challenge);
      const other = Uint8Array.from(request);
      other[2] ^= 0xff;
      const res = await tokenRequest(idToken, other);
      expect(res.status).toBe(400);
      expect((await json(res)).code).toBe('UNKNOWN_KEY_ID');
    });

    it.each<[string, number, string, string, () => Uint8Array]>([
      ['an empty body', 400, 'MALFORMED_BODY', 'application/private-token-request', () => new Uint8Array(0)],
      ['a truncated request', 400, 'MALFORMED_BODY', 'application/private-token-request', () => createTokenRequest(tokenKey, challenge).request.subarray(0, 100)],
      ['a request with trailing bytes', 400, 'MALFORMED_BODY', 'application/private-token-request', () => Buffer.concat([createTokenRequest(tokenKey, challenge).request, Buffer.from([0])])],
      ['another token type', 400, 'MALFORMED_BODY', 'application/private-token-request', () => Buffer.concat([Buffer.from([0x00, 0x01]), createTokenRequest(tokenKey, challenge).request.subarray(2)])],
      ['a blinded message not below n', 400, 'VALIDATION_FAILED', 'application/private-token-request', () => encodeTokenRequest({ tokenType: 2, truncatedTokenKeyId: createTokenRequest(tokenKey, challenge).request[2], blindedMsg: new Uint8Array(256).fill(0xff) })],
      ['a huge body', 413, 'PAYLOAD_TOO_LARGE', 'application/private-token-request', () => new Uint8Array(70_000)],
      ['JSON instead of binary', 415, 'UNSUPPORTED_MEDIA_TYPE', 'application/json', () => Buffer.from('{"a":1}')],
      ['text', 415, 'UNSUPPORTED_MEDIA_TYPE', 'text/plain', () => Buffer.from('hello')],
      ['octet-stream', 415, 'UNSUPPORTED_MEDIA_TYPE', 'application/octet-stream', () => createTokenRequest(tokenKey, challenge).request],
    ])('POST /token-request with %s → %i %s', async (_name, status, code, type, body) => {
      const res = await tokenRequest(idToken, body(), type);
      expect(res.status).toBe(status);
      expect((await json(res)).code).toBe(code);
    });

    it.each<[string, unknown, number]>([
      ['no field', {}, 400],
      ['an empty batch', { blindedMessages: [] }, 400],
      ['21 messages', { blindedMessages: Array.from({ length: 21 }, () => 'AA') }, 400],
      ['a number', { blindedMessages: [42] }, 400],
      ['not base64url', { blindedMessages: ['not base64url!'] }, 400],
      ['wrong length', { blindedMessages: [base64urlEncode(new Uint8Array(255))] }, 400],
      ['an unknown field', { blindedMessages: [base64urlEncode(new Uint8Array(256))], tokenKeyId: 'x' }, 400],
      ['a string body', 'blinded', 400],
      ['an array body', [1, 2], 400],
      ['null', null, 400],
    ])('POST /auth/vpn-token with %s → %i', async (_name, body, status) => {
      const res = await fetch(`${t.base}/auth/vpn-token`, { method: 'POST', headers: { ...bearer(idToken), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(status);
      expect(['VALIDATION_FAILED', 'MALFORMED_BODY']).toContain((await json(res)).code);
    });

    it('POST /auth/vpn-token with a binary body → 415', async () => {
      const res = await fetch(`${t.base}/auth/vpn-token`, { method: 'POST', headers: { ...bearer(idToken), 'content-type': 'application/private-token-request' }, body: Buffer.from(createTokenRequest(tokenKey, challenge).request) });
      expect(res.status).toBe(415);
    });

    it('refuses both endpoints without a Firebase token (401)', async () => {
      const a = await fetch(`${t.base}/token-request`, { method: 'POST', headers: { 'content-type': 'application/private-token-request' }, body: Buffer.from(createTokenRequest(tokenKey, challenge).request) });
      expect(a.status).toBe(401);
      const b = await fetch(`${t.base}/auth/vpn-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"blindedMessages":["AA"]}' });
      expect(b.status).toBe(401);
      expect((await json(b)).code).toBe('UNAUTHENTICATED');
    });
  });

  describe('key rotation', () => {
    it('refuses the admin endpoint without the admin token', async () => {
      for (const headers of [{}, bearer('wrong-token'), { authorization: 'Basic x' }]) {
        const res = await fetch(`${t.base}/admin/issuer-keys/rotate`, { method: 'POST', headers });
        expect(res.status).toBe(401);
      }
    });

    it('runs the schedule (idempotent) and, forced, retires the current key while keeping it listed', async () => {
      const admin = { ...bearer(t.config.ADMIN_TOKEN), 'content-type': 'application/json' };
      const plain = await fetch(`${t.base}/admin/issuer-keys/rotate`, { method: 'POST', headers: admin, body: '{}' });
      expect(plain.status).toBe(200);
      const p = await json<{ created: string[]; current: { keyId: string } }>(plain);
      expect(p.created).toEqual([]);
      const bad = await fetch(`${t.base}/admin/issuer-keys/rotate`, { method: 'POST', headers: admin, body: '{"force":"yes"}' });
      expect(bad.status).toBe(400);
      await new Promise((r) => setTimeout(r, 1100)); // a key signs for at least a second
      const forced = await fetch(`${t.base}/admin/issuer-keys/rotate`, { method: 'POST', headers: admin, body: '{"force":true}' });
      expect(forced.status).toBe(200);
      const f = await json<{ retired: string[]; created: string[]; current: { keyId: string }; listed: Array<{ keyId: string }> }>(forced);
      expect(f.retired).toEqual([p.current.keyId]);
      expect(f.current.keyId).not.toBe(p.current.keyId);
      expect(f.listed.map((k) => k.keyId).sort()).toEqual([p.current.keyId, f.current.keyId].sort());
      const dir = parseIssuerDirectory(await (await fetch(`${t.base}/.well-known/private-token-issuer-directory`)).text());
      expect(dir.tokenKeys).toHaveLength(2);
      // The old key no longer signs: a request naming it is 400 UNKNOWN_KEY_ID; the new one works.
      const { idToken } = await signUp();
      await fetch(`${t.base}/account/trial`, { method: 'POST', headers: bearer(idToken) });
      await new Promise((r) => setTimeout(r, 1100));
      expect((await tokenRequest(idToken, createTokenRequest(tokenKey, challenge).request)).status).toBe(400);
      const newKey = dir.tokenKeys[0].tokenKey;
      const { request, state } = createTokenRequest(newKey, challenge);
      const res = await tokenRequest(idToken, request);
      expect(res.status).toBe(200);
      expect(verifyToken(newKey, finalizeToken(state, new Uint8Array(await res.arrayBuffer())))).toBe(true);
      tokenKey = newKey;
    });
  });

  describe('with Redis down', () => {
    let down: TestApp;
    beforeAll(async () => {
      down = await startTestApp(testEnv(db, prefix, { REDIS_URL: 'redis://127.0.0.1:1' }), { waitReady: false });
    });
    afterAll(async () => {
      await down?.close();
    });

    it('reports not ready, answers 503 UNAVAILABLE and signs nothing', async () => {
      const ready = await fetch(`${down.base}/health/ready`);
      expect(ready.status).toBe(503);
      const { idToken } = await signUp();
      // The account and trial live in Postgres (up); issuance needs the quota in Redis (down).
      expect((await fetch(`${t.base}/account/trial`, { method: 'POST', headers: bearer(idToken) })).status).toBe(201);
      const pool = down.app.get(SignerPool);
      const spy = jest.spyOn(pool, 'sign');
      const res = await fetch(`${down.base}/token-request`, { method: 'POST', headers: { ...bearer(idToken), 'content-type': 'application/private-token-request' }, body: Buffer.from(createTokenRequest(tokenKey, challenge).request) });
      expect(res.status).toBe(503);
      expect((await json(res)).code).toBe('UNAVAILABLE');
      const batch = await fetch(`${down.base}/auth/vpn-token`, {
        method: 'POST',
        headers: { ...bearer(idToken), 'content-type': 'application/json' },
        body: JSON.stringify({ blindedMessages: [base64urlEncode(decodeTokenRequest(createTokenRequest(tokenKey, challenge).request).blindedMsg)] }),
      });
      expect(batch.status).toBe(503);
      expect(spy).not.toHaveBeenCalled();
    });
  });
});
