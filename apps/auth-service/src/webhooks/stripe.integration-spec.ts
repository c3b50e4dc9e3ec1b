import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  TestApp,
  TestDatabase,
  adminRedisConnection,
  bearer,
  json,
  migratedTestDatabase,
  postStripe,
  signUp,
  signedStripeEvent,
  startStripeStandIn,
  startTestApp,
  testEnv,
  uniquePrefix,
} from '../../test/helpers';

const SECRET = 'whsec_test_stripe_suite_0123456789';

describe('Stripe billing and webhooks', () => {
  let db: TestDatabase;
  let t: TestApp;
  let stand: Awaited<ReturnType<typeof startStripeStandIn>>;
  let queue: Queue;
  let prefix: string;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    stand = await startStripeStandIn();
    prefix = uniquePrefix();
    t = await startTestApp(testEnv(db, prefix, { STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_API_URL: stand.url, STRIPE_PRICE_MONTHLY: 'price_m', STRIPE_PRICE_YEARLY: 'price_y' }));
    queue = new Queue('notifications', { connection: adminRedisConnection(), prefix });
  });
  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await t?.close();
    await stand?.close();
    await db?.drop();
  });

  const post = (type: string, object: Record<string, unknown>, opts: { id?: string; created?: number } = {}) => postStripe(t.base, signedStripeEvent(SECRET, type, object, opts));
  const subscription = async (idToken: string) => json<{ status: string; plan: string | null; provider: string | null; currentPeriodEnd: string | null; entitled: boolean }>(await fetch(`${t.base}/account/subscription`, { headers: bearer(idToken) }));
  const jobsFor = async (name: string, userId: string) => (await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed'])).filter((j) => j.name === name && (j.data as { userId: string }).userId === userId);

  async function newUser() {
    const u = await signUp();
    const { id } = await json<{ id: string }>(await fetch(`${t.base}/account`, { headers: bearer(u.idToken) }));
    return { ...u, userId: id };
  }

  function sub(id: string, userId: string, over: Record<string, unknown> = {}) {
    const end = Math.floor(Date.now() / 1000) + 30 * 86400;
    return { id, object: 'subscription', customer: `cus_${id}`, status: 'active', cancel_at_period_end: false, metadata: { userId }, items: { object: 'list', data: [{ current_period_end: end, price: { id: 'price_m', recurring: { interval: 'month' } } }] }, ...over };
  }

  describe('signatures', () => {
    it.each<[string, (ev: { body: string; signature: string }) => RequestInit]>([
      ['no Stripe-Signature', (ev) => ({ headers: { 'content-type': 'application/json' }, body: ev.body })],
      ['a signature by another secret', (ev) => ({ headers: { 'content-type': 'application/json', 'stripe-signature': signedStripeEvent('whsec_other_secret_000000', 'x', {}).signature }, body: ev.body })],
      ['a tampered body', (ev) => ({ headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature }, body: ev.body.replace('"active"', '"trialing"') })],
      ['a garbage signature', (ev) => ({ headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' }, body: ev.body })],
      ['an old timestamp', (ev) => ({ headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature.replace(/t=\d+/, 't=1000') }, body: ev.body })],
    ])('refuses %s with 400 BAD_SIGNATURE and stores nothing', async (_name, init) => {
      const ev = signedStripeEvent(SECRET, 'customer.subscription.created', sub('sub_sig', '00000000-0000-0000-0000-000000000000'));
      const res = await fetch(`${t.base}/webhooks/stripe`, { method: 'POST', ...init(ev) });
      expect(res.status).toBe(400);
      expect((await json(res)).code).toBe('BAD_SIGNATURE');
      const rows: unknown[] = await t.app.get(DataSource).query(`SELECT 1 FROM processed_webhook_events WHERE event_id = $1`, [ev.id]);
      expect(rows).toHaveLength(0);
    });

    it('answers 200 to a verified event of a type it does not handle', async () => {
      const res = await post('customer.created', { id: 'cus_x', object: 'customer' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true, outcome: 'ignored' });
    });

    it.each<[string, string, string]>([
      ['non-JSON', 'text/plain', 'hello'],
      ['malformed JSON', 'application/json', '{"id":'],
    ])('answers 4xx to a %s body', async (_n, type, body) => {
      const res = await fetch(`${t.base}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': type, 'stripe-signature': 't=1,v1=x' }, body });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
  });

  describe('checkout and portal', () => {
    it('creates the customer and a Checkout Session carrying the user id, then the portal', async () => {
      const u = await newUser();
      const noPortal = await fetch(`${t.base}/billing/portal`, { method: 'POST', headers: bearer(u.idToken) });
      expect(noPortal.status).toBe(404);
      const res = await fetch(`${t.base}/billing/checkout`, { method: 'POST', headers: { ...bearer(u.idToken), 'content-type': 'application/json' }, body: '{"plan":"yearly"}' });
      expect(res.status).toBe(200);
      expect((await json<{ url: string }>(res)).url).toMatch(/^https:\/\/checkout\.stripe\.test\//);
      const customer = stand.calls.find((c) => c.path === '/v1/customers' && c.body.includes(u.userId))!;
      expect(decodeURIComponent(customer.body)).toContain(`metadata[userId]=${u.userId}`);
      const session = stand.calls.filter((c) => c.path === '/v1/checkout/sessions').pop()!;
      const form = decodeURIComponent(session.body);
      expect(form).toContain(`client_reference_id=${u.userId}`);
      expect(form).toContain(`subscription_data[metadata][userId]=${u.userId}`);
      expect(form).toContain('line_items[0][price]=price_y');
      const portal = await fetch(`${t.base}/billing/portal`, { method: 'POST', headers: bearer(u.idToken) });
      expect(portal.status).toBe(200);
      expect((await json<{ url: string }>(portal)).url).toMatch(/^https:\/\/billing\.stripe\.test\//);
    });

    it.each<[string, string]>([
      ['an unknown plan', '{"plan":"weekly"}'],
      ['no plan', '{}'],
      ['an extra field', '{"plan":"monthly","price":"price_free"}'],
      ['a number', '{"plan":1}'],
      ['not an object', '"monthly"'],
    ])('refuses checkout with %s (400)', async (_n, body) => {
      const u = await signUp();
      const res = await fetch(`${t.base}/billing/checkout`, { method: 'POST', headers: { ...bearer(u.idToken), 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
    });

    it('answers 503 when Stripe is failing, and creates nothing', async () => {
      const u = await newUser();
      stand.failNext(10);
      const res = await fetch(`${t.base}/billing/checkout`, { method: 'POST', headers: { ...bearer(u.idToken), 'content-type': 'application/json' }, body: '{"plan":"monthly"}' });
      stand.failNext(0);
      expect(res.status).toBe(503);
      expect((await json(res)).code).toBe('UNAVAILABLE');
    });
  });

  describe('subscription lifecycle', () => {
    it('links checkout, activates, fails a payment, recovers, refunds and ends — notifying along the way', async () => {
      const u = await newUser();
      const now = Math.floor(Date.now() / 1000);
      const s = sub('sub_life', u.userId, { customer: 'cus_life' });
      expect((await post('checkout.session.completed', { id: 'cs_life', object: 'checkout.session', client_reference_id: u.userId, customer: 'cus_life', subscription: 'sub_life' }, { created: now - 100 })).status).toBe(200);
      expect((await post('customer.subscription.created', s, { created: now - 90 })).status).toBe(200);
      expect(await subscription(u.idToken)).toMatchObject({ status: 'active', plan: 'monthly', provider: 'stripe', entitled: true });

      const invoice = { id: 'in_life_1', object: 'invoice', customer: 'cus_life', amount_paid: 999, amount_due: 999, currency: 'eur', hosted_invoice_url: 'https://invoice.stripe.test/in_life_1', status_transitions: { paid_at: now - 80 }, parent: { subscription_details: { subscription: 'sub_life', metadata: { userId: u.userId } } } };
      expect((await post('invoice.paid', invoice, { created: now - 80 })).status).toBe(200);

      const failed = { ...invoice, id: 'in_life_2', amount_paid: 0, status_transitions: { paid_at: null } };
      expect((await post('invoice.payment_failed', failed, { created: now - 60 })).status).toBe(200);
      expect(await subscription(u.idToken)).toMatchObject({ status: 'past_due', entitled: true });
      expect(await jobsFor('payment-failed', u.userId)).toHaveLength(1);

      expect((await post('invoice.paid', { ...failed, amount_paid: 999, status_transitions: { paid_at: now - 50 }, lines: { data: [{ period: { end: now + 60 * 86400 } }] } }, { created: now - 50 })).status).toBe(200);
      expect(await subscription(u.idToken)).toMatchObject({ status: 'active', entitled: true });

      expect((await post('charge.refunded', { id: 'ch_life', object: 'charge', customer: 'cus_life', invoice: 'in_life_1', amount_refunded: 999, currency: 'eur' }, { created: now - 40 })).status).toBe(200);

      const page = await json<{ items: Array<{ provider: string; amount: number; currency: string; status: string; paidAt: string | null; invoiceUrl: string | null }>; nextCursor: string | null }>(
        await fetch(`${t.base}/account/payments`, { headers: bearer(u.idToken) }),
      );
      expect(page.items.map((p) => [p.status, p.amount])).toEqual([
        ['refunded', -999],
        ['paid', 999],
        ['refunded', 999],
      ]);
      expect(page.items[1]).toMatchObject({ provider: 'stripe', currency: 'eur', invoiceUrl: 'https://invoice.stripe.test/in_life_1' });

      expect((await post('customer.subscription.deleted', { ...s, status: 'canceled', ended_at: now - 30 }, { created: now - 30 })).status).toBe(200);
      expect(await subscription(u.idToken)).toMatchObject({ status: 'expired', entitled: false });
      const ended = await jobsFor('subscription-ended', u.userId);
      expect(ended).toHaveLength(1);
      expect(ended[0].data).toEqual({ userId: u.userId, provider: 'stripe', reason: 'canceled' });
    });

    it('finds the user through the subscription metadata when the subscription event comes before checkout', async () => {
      const u = await newUser();
      expect(await json(await post('customer.subscription.created', sub('sub_early', u.userId, { customer: 'cus_early' })))).toEqual({ received: true, outcome: 'processed' });
      expect((await subscription(u.idToken)).entitled).toBe(true);
    });

    it('treats cancel-at-period-end as canceled but entitled until the period ends', async () => {
      const u = await newUser();
      await post('customer.subscription.updated', sub('sub_cancel', u.userId, { cancel_at_period_end: true }));
      expect(await subscription(u.idToken)).toMatchObject({ status: 'canceled', entitled: true });
    });
  });

  describe('idempotency and ordering', () => {
    it('applies a replayed event once (200, no change)', async () => {
      const u = await newUser();
      const now = Math.floor(Date.now() / 1000);
      const created = signedStripeEvent(SECRET, 'customer.subscription.created', sub('sub_replay', u.userId), { created: now - 20 });
      expect(await json(await postStripe(t.base, created))).toEqual({ received: true, outcome: 'processed' });
      await post('customer.subscription.deleted', { ...sub('sub_replay', u.userId), status: 'canceled' }, { created: now - 10 });
      // Stripe retries the old delivery: same id, re-signed.
      const replay = await postStripe(t.base, signedStripeEvent(SECRET, 'customer.subscription.created', sub('sub_replay', u.userId), { id: created.id, created: now - 20 }));
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ received: true, outcome: 'duplicate' });
      expect((await subscription(u.idToken)).status).toBe('expired');
      const payFail = { id: 'in_replay', object: 'invoice', customer: 'cus_sub_replay', amount_due: 500, currency: 'usd' };
      const ev = signedStripeEvent(SECRET, 'invoice.payment_failed', payFail);
      const results = await Promise.all([postStripe(t.base, ev), postStripe(t.base, ev), postStripe(t.base, ev)]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      const rows: unknown[] = await t.app.get(DataSource).query(`SELECT 1 FROM payment_history WHERE provider_payment_id = 'in_replay'`);
      expect(rows).toHaveLength(1);
    });

    it('never lets an older event overwrite newer state', async () => {
      const u = await newUser();
      const now = Math.floor(Date.now() / 1000);
      await post('customer.subscription.updated', sub('sub_order', u.userId, { status: 'past_due' }), { created: now - 10 });
      const late = await post('customer.subscription.updated', sub('sub_order', u.userId, { status: 'active' }), { created: now - 20 });
      expect(late.status).toBe(200);
      expect(await late.json()).toEqual({ received: true, outcome: 'stale' });
      expect((await subscription(u.idToken)).status).toBe('past_due');
      // A deletion, then a same-second update delivered late: the end is final.
      await post('customer.subscription.deleted', sub('sub_order', u.userId, { status: 'canceled' }), { created: now - 5 });
      await post('customer.subscription.updated', sub('sub_order', u.userId, { status: 'active' }), { created: now - 5 });
      expect((await subscription(u.idToken)).status).toBe('expired');
    });
  });
});
