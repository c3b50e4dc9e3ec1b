import { randomBytes, randomUUID } from 'node:crypto';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { Patterns, ScheduledCommand, redisClientOptions } from '@phoenix/common';
import { sideRedisUrl } from '@phoenix/common/testing';
import { Queue } from 'bullmq';
import { firstValueFrom, timeout } from 'rxjs';
import { DataSource } from 'typeorm';
import { TestApp, TestDatabase, adminRedisConnection, migratedTestDatabase, postStripe, signedStripeEvent, startStripeStandIn, startTestApp, testEnv, uniquePrefix } from '../test/helpers';
import { eventually, mailsTo, stackMailDir } from '../test/mail';
import { NOTIFICATIONS_QUEUE } from './notifications/notifier';
import { TrialEndingNotices, TrialEndingResult } from './notifications/trial-ending';
import { ReconcileResult, StripeReconciler } from './webhooks/stripe-reconcile';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The identity side's scheduled commands, sent as job-worker sends them: over the real Redis
// transport from a client logged in as job-worker's Redis user, answered by auth-service as
// phoenix_identity, doing their work on a real identity database, Stripe stand-in and SMTP sink.
describe('scheduled commands (identity side)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let stripe: Awaited<ReturnType<typeof startStripeStandIn>>;
  let app: TestApp;
  let client: ClientProxy;
  let queue: Queue;
  const prefix = uniquePrefix();

  const command = (schedule: string): ScheduledCommand => {
    const period = new Date().toISOString();
    return { schedule, period, idempotencyKey: `${schedule}@${period}` };
  };
  // Every auth-service listening on the transport answers; the first reply wins. The counts are
  // asserted on this instance's own runs below, the effects on this suite's database and sink.
  const send = <T>(pattern: string): Promise<T> => firstValueFrom(client.send<T>(pattern, command(pattern)).pipe(timeout(20_000)));

  async function user(email: string, notifyEmail = true): Promise<string> {
    const id = randomUUID();
    await ds.query(`INSERT INTO users (id, firebase_uid, email) VALUES ($1, $2, $3)`, [id, `uid-${id}`, email]);
    if (!notifyEmail) await ds.query(`INSERT INTO user_preferences (user_id, blocklist_enabled, kill_switch, notify_email, notify_push) VALUES ($1, true, false, false, false)`, [id]);
    return id;
  }
  async function subscription(userId: string, provider: string, subId: string, state: string, periodEnd: Date, providerUpdatedAt: Date): Promise<void> {
    await ds.query(
      `INSERT INTO subscriptions (id, user_id, provider, provider_subscription_id, provider_customer_id, state, plan, current_period_end, provider_updated_at)
       VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8)`,
      [randomUUID(), userId, provider, subId, state, provider === 'trial' ? 'trial' : 'monthly', periodEnd, providerUpdatedAt],
    );
  }
  const row = async (subId: string): Promise<{ state: string; current_period_end: Date; provider_updated_at: Date }> =>
    (await ds.query(`SELECT state, current_period_end, provider_updated_at FROM subscriptions WHERE provider_subscription_id = $1`, [subId]))[0];

  beforeAll(async () => {
    db = await migratedTestDatabase();
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    stripe = await startStripeStandIn();
    app = await startTestApp(testEnv(db, prefix, { STRIPE_API_URL: stripe.url, SMTP_URL: process.env.SMTP_URL ?? '' }), { transport: true });
    client = ClientProxyFactory.create(redisClientOptions('scheduled-commands-test', sideRedisUrl('job-worker')));
    await client.connect();
    queue = new Queue(NOTIFICATIONS_QUEUE, { connection: adminRedisConnection(), prefix });
    stackMailDir();
  });
  afterAll(async () => {
    await client?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await app?.close();
    await stripe?.close();
    await ds?.destroy();
    await db?.drop();
  });

  describe('identity.billing.reconcile', () => {
    const missed = `sub_missed_${randomBytes(4).toString('hex')}`;
    const newer = `sub_newer_${randomBytes(4).toString('hex')}`;
    const renewedUntil = Math.floor((Date.now() + 30 * DAY) / 1000);
    let userId: string;

    beforeAll(async () => {
      userId = await user(`b-${randomBytes(4).toString('hex')}@example.test`);
      // The renewal's webhook was missed: we still think the period ended an hour ago.
      await subscription(userId, 'stripe', missed, 'active', new Date(Date.now() - HOUR), new Date(Date.now() - 31 * DAY));
      stripe.subscriptions.set(missed, { status: 'active', customer: 'cus_x', metadata: { userId }, items: { object: 'list', data: [{ current_period_end: renewedUntil, price: { id: 'price_dev_monthly' } }] } });
      // An event stamped after any read we can make was already applied: Stripe's answer is older.
      await subscription(userId, 'stripe', newer, 'active', new Date(Date.now() - HOUR), new Date(Date.now() + HOUR));
      stripe.subscriptions.set(newer, { status: 'canceled', customer: 'cus_x', metadata: { userId }, ended_at: Math.floor(Date.now() / 1000) - 60, items: { object: 'list', data: [] } });
    });

    it('answers over the Redis transport and makes good a missed webhook from Stripe', async () => {
      const reply = await send<ReconcileResult>(Patterns.BILLING_RECONCILE);
      expect(reply).toEqual(expect.objectContaining({ checked: expect.any(Number), corrected: expect.any(Number), stale: expect.any(Number) }));
      expect(stripe.calls.some((c) => c.method === 'GET' && c.path === `/v1/subscriptions/${missed}`)).toBe(true);
      const r = await row(missed);
      expect(r.state).toBe('active');
      expect(r.current_period_end.getTime()).toBe(renewedUntil * 1000);
    });

    it('ignores a state older than the one stored (webhook ordering), and a second run changes nothing', async () => {
      expect(await row(newer)).toEqual(expect.objectContaining({ state: 'active' }));
      const again: ReconcileResult = await app.app.get(StripeReconciler).reconcile();
      // The corrected subscription is no longer stale; the other is re-read and again ignored.
      expect(again).toEqual({ checked: 1, corrected: 0, unchanged: 0, stale: 1, missing: 0, failed: 0 });
      expect((await row(newer)).state).toBe('active');
      expect((await row(missed)).current_period_end.getTime()).toBe(renewedUntil * 1000);
    });

    it('then refuses a late webhook older than the snapshot it applied', async () => {
      const ev = signedStripeEvent(app.config.STRIPE_WEBHOOK_SECRET, 'customer.subscription.updated', { id: missed, object: 'subscription', status: 'past_due', customer: 'cus_x', metadata: { userId } }, { created: Math.floor(Date.now() / 1000) - 600 });
      expect((await postStripe(app.base, ev)).status).toBe(200);
      expect((await row(missed)).state).toBe('active');
    });
  });

  describe('identity.notifications.trial-ending', () => {
    const to = `t-${randomBytes(5).toString('hex')}@example.test`;
    const quiet = `q-${randomBytes(5).toString('hex')}@example.test`;
    const later = `l-${randomBytes(5).toString('hex')}@example.test`;
    let ending: string;

    beforeAll(async () => {
      ending = await user(to);
      await subscription(ending, 'trial', `trial-${ending}`, 'trialing', new Date(Date.now() + DAY), new Date());
      const off = await user(quiet, false);
      await subscription(off, 'trial', `trial-${off}`, 'trialing', new Date(Date.now() + DAY + HOUR), new Date());
      const notYet = await user(later);
      await subscription(notYet, 'trial', `trial-${notYet}`, 'trialing', new Date(Date.now() + 5 * DAY), new Date());
    });

    it('mails each trial ending within the notice days once, to its address, text and HTML', async () => {
      const reply = await send<TrialEndingResult>(Patterns.TRIAL_ENDING);
      expect(reply).toEqual(expect.objectContaining({ found: expect.any(Number), enqueued: expect.any(Number) }));
      expect(await eventually(() => mailsTo(stackMailDir(), to).length > 0)).toBe(true);
      const [mail] = mailsTo(stackMailDir(), to);
      expect(mail.headers.subject).toMatch(/trial ends soon/i);
      expect(mail.parts['text/plain']).toMatch(/ends on \d{4}-\d{2}-\d{2}/);
      expect(mail.parts['text/html']).toMatch(/<p>Your free trial/);
    });

    it('a repeated run queues nothing again: still one mail, none to the user whose email preference is off', async () => {
      await send<TrialEndingResult>(Patterns.TRIAL_ENDING);
      const third = await app.app.get(TrialEndingNotices).run();
      expect(third).toEqual({ found: 2, enqueued: 0, alreadyNoticed: 2, failed: 0 });
      expect(await eventually(async () => {
        const c = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        return Object.values(c).every((n) => n === 0);
      })).toBe(true);
      expect(mailsTo(stackMailDir(), to)).toHaveLength(1);
      expect(mailsTo(stackMailDir(), quiet)).toHaveLength(0);
      expect(mailsTo(stackMailDir(), later)).toHaveLength(0);
    });
  });
});
