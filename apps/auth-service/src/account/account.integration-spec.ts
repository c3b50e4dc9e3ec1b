import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { TestApp, TestDatabase, adminRedisConnection, bearer, json, migratedTestDatabase, postStripe, signIn, signUp, signedStripeEvent, startStripeStandIn, startTestApp, testEnv, uniquePrefix } from '../../test/helpers';

const SECRET = 'whsec_test_account_suite_0123456789';

describe('account', () => {
  let db: TestDatabase;
  let t: TestApp;
  let stand: Awaited<ReturnType<typeof startStripeStandIn>>;
  let prefix: string;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    stand = await startStripeStandIn();
    prefix = uniquePrefix();
    t = await startTestApp(testEnv(db, prefix, { STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_URL: stand.url, TRIAL_DAYS: '3' }));
  });
  afterAll(async () => {
    await t?.close();
    await stand?.close();
    await db?.drop();
  });

  const get = (path: string, idToken: string) => fetch(`${t.base}${path}`, { headers: bearer(idToken) });
  const send = (method: string, path: string, idToken: string, body?: unknown) =>
    fetch(`${t.base}${path}`, { method, headers: { ...bearer(idToken), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  async function newUser() {
    const u = await signUp();
    const { id } = await json<{ id: string }>(await get('/account', u.idToken));
    return { ...u, userId: id };
  }

  describe('trial', () => {
    it('starts once (201, TRIAL_DAYS long) and then answers 409 TRIAL_USED; a reminder is queued', async () => {
      const u = await newUser();
      const first = await send('POST', '/account/trial', u.idToken);
      expect(first.status).toBe(201);
      const body = await json<{ status: string; provider: string; entitled: boolean; currentPeriodEnd: string }>(first);
      expect(body).toMatchObject({ status: 'trialing', provider: 'trial', plan: 'trial', entitled: true });
      const days = (Date.parse(body.currentPeriodEnd) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(2.99);
      expect(days).toBeLessThanOrEqual(3);
      const again = await send('POST', '/account/trial', u.idToken);
      expect(again.status).toBe(409);
      expect((await json(again)).code).toBe('TRIAL_USED');
      const queue = new Queue('notifications', { connection: adminRedisConnection(), prefix });
      try {
        const job = await queue.getJob(`trial-ending-${u.userId}`);
        expect(job?.name).toBe('trial-ending');
        expect(job?.data).toEqual({ userId: u.userId, trialEndsAt: body.currentPeriodEnd });
        expect(await job?.isDelayed()).toBe(true);
      } finally {
        await queue.close();
      }
    });

    it('gives at most one trial under concurrent requests', async () => {
      const u = await newUser();
      const statuses = await Promise.all(Array.from({ length: 4 }, () => send('POST', '/account/trial', u.idToken).then((r) => r.status)));
      expect(statuses.sort()).toEqual([201, 409, 409, 409]);
    });
  });

  describe('preferences', () => {
    const valid = { defaultLocation: 'de-fra', blocklistEnabled: false, killSwitch: true, notifications: { email: false, push: true } };

    it('stores and returns the whole document', async () => {
      const u = await newUser();
      const put = await send('PUT', '/account/preferences', u.idToken, valid);
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual(valid);
      expect(await (await get('/account/preferences', u.idToken)).json()).toEqual(valid);
      expect((await json<{ preferences: unknown }>(await get('/account', u.idToken))).preferences).toEqual(valid);
      const cleared = await send('PUT', '/account/preferences', u.idToken, { ...valid, defaultLocation: null });
      expect((await json<{ defaultLocation: unknown }>(cleared)).defaultLocation).toBeNull();
    });

    it.each<[string, unknown]>([
      ['an unknown field', { ...valid, theme: 'dark' }],
      ['an unknown nested field', { ...valid, notifications: { email: true, push: true, sms: true } }],
      ['a missing field', { defaultLocation: null, blocklistEnabled: true, killSwitch: true }],
      ['a missing nested field', { ...valid, notifications: { email: true } }],
      ['a string for a boolean', { ...valid, killSwitch: 'true' }],
      ['a bad location', { ...valid, defaultLocation: 'Frankfurt!' }],
      ['a number location', { ...valid, defaultLocation: 7 }],
      ['notifications as array', { ...valid, notifications: [true, false] }],
      ['an array body', [valid]],
      ['null', null],
      ['a prototype-poisoning attempt', JSON.parse('{"__proto__":{"admin":true},"defaultLocation":null,"blocklistEnabled":true,"killSwitch":true,"notifications":{"email":true,"push":true}}')],
    ])('refuses %s with 400', async (_n, body) => {
      const u = await signUp();
      const res = await send('PUT', '/account/preferences', u.idToken, body);
      expect(res.status).toBe(400);
      expect(['VALIDATION_FAILED', 'MALFORMED_BODY']).toContain((await json(res)).code);
    });

    it('refuses a non-JSON body with 415 and bad JSON with 400', async () => {
      const u = await signUp();
      const a = await fetch(`${t.base}/account/preferences`, { method: 'PUT', headers: { ...bearer(u.idToken), 'content-type': 'text/plain' }, body: 'x' });
      expect(a.status).toBe(415);
      const b = await fetch(`${t.base}/account/preferences`, { method: 'PUT', headers: { ...bearer(u.idToken), 'content-type': 'application/json' }, body: '{"defaultLocation":' });
      expect(b.status).toBe(400);
    });
  });

  describe('payments', () => {
    it('pages newest first with an opaque cursor, every row once', async () => {
      const u = await newUser();
      const ds = t.app.get(DataSource);
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (let i = 0; i < 7; i++) {
        await ds.query(
          `INSERT INTO payment_history (id, user_id, provider, provider_payment_id, amount, currency, status, paid_at, invoice_url, occurred_at) VALUES ($1, $2, 'stripe', $3, $4, 'eur', 'paid', $5, NULL, $5)`,
          [randomUUID(), u.userId, `in_page_${u.userId}_${i}`, 100 + i, new Date(base + (i % 3 === 0 ? 0 : i) * 86_400_000)],
        );
      }
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/account/payments?limit=3${cursor ? `&cursor=${cursor}` : ''}`, u.idToken);
        expect(res.status).toBe(200);
        const page = await json<{ items: Array<{ amount: number; paidAt: string }>; nextCursor: string | null }>(res);
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((p) => p.amount));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect([...seen].sort()).toEqual([100, 101, 102, 103, 104, 105, 106]);
      expect(new Set(seen).size).toBe(7);
    });

    it.each<[string, string]>([
      ['limit 0', 'limit=0'],
      ['limit 101', 'limit=101'],
      ['limit abc', 'limit=abc'],
      ['a forged cursor', 'cursor=AAAA'],
      ['a cursor with bad characters', 'cursor=%27%20OR%201=1'],
      ['an unknown parameter', 'page=2'],
    ])('refuses %s with 400', async (_n, q) => {
      const u = await signUp();
      const res = await get(`/account/payments?${q}`, u.idToken);
      expect(res.status).toBe(400);
    });
  });

  describe('export and erasure', () => {
    it('exports everything stored about the user', async () => {
      const u = await newUser();
      await send('POST', '/account/trial', u.idToken);
      const res = await get('/account/export', u.idToken);
      expect(res.status).toBe(200);
      const body = await json<{ user: { id: string; email: string; firebaseUid: string }; subscriptions: unknown[]; payments: unknown[]; preferences: unknown; trial: { claimed: boolean }; issuance: { tokensIssuedLast24h: number } }>(res);
      expect(body.user).toMatchObject({ id: u.userId, email: u.email, firebaseUid: u.uid });
      expect(body.subscriptions).toHaveLength(1);
      expect(body.trial.claimed).toBe(true);
      expect(body.issuance.tokensIssuedLast24h).toBe(0);
    });

    it('erases the account (204), cancels the Stripe subscription and deletes the customer, idempotently', async () => {
      const u = await newUser();
      const now = Math.floor(Date.now() / 1000);
      await postStripe(t.base, signedStripeEvent(SECRET, 'checkout.session.completed', { id: 'cs_erase', client_reference_id: u.userId, customer: 'cus_erase', subscription: 'sub_erase' }));
      await postStripe(
        t.base,
        signedStripeEvent(SECRET, 'customer.subscription.created', { id: 'sub_erase', customer: 'cus_erase', status: 'active', metadata: { userId: u.userId }, items: { data: [{ current_period_end: now + 86400 * 30 }] } }),
      );
      await postStripe(t.base, signedStripeEvent(SECRET, 'invoice.paid', { id: 'in_erase', customer: 'cus_erase', amount_paid: 500, currency: 'eur' }));
      await send('PUT', '/account/preferences', u.idToken, { defaultLocation: null, blocklistEnabled: true, killSwitch: true, notifications: { email: true, push: true } });

      const del = await send('DELETE', '/account', u.idToken);
      expect(del.status).toBe(204);
      expect(stand.calls.some((c) => c.method === 'DELETE' && c.path === '/v1/subscriptions/sub_erase')).toBe(true);
      expect(stand.calls.some((c) => c.method === 'DELETE' && c.path === '/v1/customers/cus_erase')).toBe(true);
      const ds = t.app.get(DataSource);
      for (const table of ['users', 'subscriptions', 'payment_history', 'user_preferences']) {
        const rows: unknown[] = await ds.query(`SELECT 1 FROM ${table} WHERE ${table === 'users' ? 'id' : 'user_id'} = $1`, [u.userId]);
        expect(rows).toHaveLength(0);
      }
      expect((await send('DELETE', '/account', u.idToken)).status).toBe(204);
      // Signing in again makes a new, empty account — but not a second trial.
      const fresh = await json<{ id: string; subscription: { status: string } }>(await get('/account', await signIn(u.email)));
      expect(fresh.id).not.toBe(u.userId);
      expect(fresh.subscription.status).toBe('none');
    });

    it('does not give a second trial after erasure', async () => {
      const u = await newUser();
      expect((await send('POST', '/account/trial', u.idToken)).status).toBe(201);
      expect((await send('DELETE', '/account', u.idToken)).status).toBe(204);
      const again = await send('POST', '/account/trial', u.idToken);
      expect(again.status).toBe(409);
    });

    it('erases nothing when Stripe cannot cancel (503), and finishes on retry', async () => {
      const u = await newUser();
      const now = Math.floor(Date.now() / 1000);
      await postStripe(
        t.base,
        signedStripeEvent(SECRET, 'customer.subscription.created', { id: 'sub_retry', customer: 'cus_retry', status: 'active', metadata: { userId: u.userId }, items: { data: [{ current_period_end: now + 86400 }] } }),
      );
      stand.failNext(10);
      const res = await send('DELETE', '/account', u.idToken);
      stand.failNext(0);
      expect(res.status).toBe(503);
      expect((await json<{ id: string }>(await get('/account', u.idToken))).id).toBe(u.userId);
      expect((await send('DELETE', '/account', u.idToken)).status).toBe(204);
    });
  });

  it.each<[string, string]>([
    ['GET', '/account'],
    ['DELETE', '/account'],
    ['GET', '/account/export'],
    ['GET', '/account/subscription'],
    ['POST', '/account/trial'],
    ['GET', '/account/payments'],
    ['GET', '/account/preferences'],
    ['PUT', '/account/preferences'],
    ['POST', '/billing/checkout'],
    ['POST', '/billing/portal'],
  ])('%s %s without a token is 401', async (method, path) => {
    const res = await fetch(`${t.base}${path}`, { method });
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('UNAUTHENTICATED');
  });
});
