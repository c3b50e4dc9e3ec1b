import { randomBytes, randomUUID } from 'node:crypto';
import { freeLoopbackPort } from '@phoenix/common/testing';
import { Job, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { TestApp, TestDatabase, adminRedisConnection, migratedTestDatabase, startTestApp, testEnv, uniquePrefix } from '../../test/helpers';
import { ThrowawaySmtpSink, eventually, mailsTo, stackMailDir } from '../../test/mail';
import { NOTIFICATIONS_QUEUE, Notifier } from './notifier';

// The identity side's consumer of the `notifications` queue against real Postgres, Redis (as
// phoenix_identity) and SMTP sinks (aiosmtpd): the stack's, and one of the suite's own that it
// stops and starts.
describe('notifications worker', () => {
  let db: TestDatabase;
  let ds: DataSource;

  const address = () => `n-${randomBytes(6).toString('hex')}@example.test`;
  async function user(email: string | null, prefs?: { email: boolean; push: boolean }): Promise<string> {
    const id = randomUUID();
    await ds.query(`INSERT INTO users (id, firebase_uid, email) VALUES ($1, $2, $3)`, [id, `uid-${id}`, email]);
    if (prefs) {
      await ds.query(`INSERT INTO user_preferences (user_id, blocklist_enabled, kill_switch, notify_email, notify_push) VALUES ($1, true, false, $2, $3)`, [id, prefs.email, prefs.push]);
    }
    return id;
  }
  const queueOf = (prefix: string) => new Queue(NOTIFICATIONS_QUEUE, { connection: adminRedisConnection(), prefix });
  async function settled(queue: Queue, jobId: string, state: 'completed' | 'failed' = 'completed'): Promise<Job> {
    let job: Job | undefined;
    const ok = await eventually(async () => {
      job = await queue.getJob(jobId);
      return (await job?.getState()) === state;
    }, 30_000);
    if (!ok || !job) throw new Error(`job ${jobId} did not reach ${state} (now ${await job?.getState()})`);
    return job;
  }

  beforeAll(async () => {
    db = await migratedTestDatabase();
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  describe('with the stack sink', () => {
    let app: TestApp;
    let queue: Queue;
    const prefix = uniquePrefix();

    beforeAll(async () => {
      app = await startTestApp(testEnv(db, prefix, { SMTP_URL: process.env.SMTP_URL ?? '' }));
      queue = queueOf(prefix);
      stackMailDir();
    });
    afterAll(async () => {
      await queue?.obliterate({ force: true }).catch(() => undefined);
      await queue?.close();
      await app?.close();
    });

    it('mails a trial-ending notice to the address read at send time, with a text and an HTML part', async () => {
      const to = address();
      const id = await user('old-address@example.test');
      await ds.query(`UPDATE users SET email = $1 WHERE id = $2`, [to, id]);
      await app.app.get(Notifier).enqueue('trial-ending', { userId: id, trialEndsAt: '2031-03-04T05:06:07.000Z' }, `t-${id}`);
      expect(await eventually(() => mailsTo(stackMailDir(), to).length > 0)).toBe(true);
      const mails = mailsTo(stackMailDir(), to);
      expect(mails).toHaveLength(1);
      expect(mails[0].headers.to).toContain(to);
      expect(mails[0].headers.subject).toMatch(/trial ends soon/i);
      expect(mails[0].parts['text/plain']).toContain('2031-03-04');
      expect(mails[0].parts['text/html']).toMatch(/<p>[^<]*2031-03-04/);
      expect(mailsTo(stackMailDir(), 'old-address@example.test')).toHaveLength(0);
      expect((await settled(queue, `t-${id}`)).returnvalue).toEqual({ email: 'sent', push: 'sent' });
    });

    it('sends nothing to a user erased after the notice was queued', async () => {
      const to = address();
      const id = await user(to);
      await ds.query(`DELETE FROM users WHERE id = $1`, [id]);
      await app.app.get(Notifier).enqueue('subscription-ended', { userId: id, provider: 'stripe', reason: 'canceled' }, `e-${id}`);
      expect((await settled(queue, `e-${id}`)).returnvalue).toEqual({ email: 'erased', push: 'erased' });
      expect(mailsTo(stackMailDir(), to)).toHaveLength(0);
    });

    it('sends no mail when the email preference is off', async () => {
      const to = address();
      const id = await user(to, { email: false, push: true });
      await app.app.get(Notifier).enqueue('payment-failed', { userId: id, provider: 'stripe', graceUntil: null }, `p-${id}`);
      expect((await settled(queue, `p-${id}`)).returnvalue).toEqual({ email: 'off', push: 'sent' });
      expect(mailsTo(stackMailDir(), to)).toHaveLength(0);
    });
  });

  describe('while the SMTP server is down', () => {
    let sink: ThrowawaySmtpSink;
    let app: TestApp;
    let queue: Queue;
    const prefix = uniquePrefix();

    beforeAll(async () => {
      sink = new ThrowawaySmtpSink(await freeLoopbackPort());
      app = await startTestApp(testEnv(db, prefix, { SMTP_URL: sink.url, NOTIFICATIONS_ATTEMPTS: '8', NOTIFICATIONS_BACKOFF_MS: '200' }));
      queue = queueOf(prefix);
    });
    afterAll(async () => {
      await queue?.obliterate({ force: true }).catch(() => undefined);
      await queue?.close();
      await app?.close();
      await sink?.dispose();
    });

    it('retries with backoff and delivers once the server is back', async () => {
      const to = address();
      const id = await user(to);
      await app.app.get(Notifier).enqueue('trial-ending', { userId: id, trialEndsAt: '2031-01-01T00:00:00.000Z' }, `r-${id}`);
      // At least one attempt fails against the closed port...
      expect(await eventually(async () => ((await queue.getJob(`r-${id}`))?.attemptsMade ?? 0) >= 1)).toBe(true);
      expect(mailsTo(sink.dir, to)).toHaveLength(0);
      // ...and a later one delivers.
      await sink.start();
      const job = await settled(queue, `r-${id}`);
      expect(job.attemptsMade).toBeGreaterThanOrEqual(2);
      expect(mailsTo(sink.dir, to)).toHaveLength(1);
    });

    it('keeps the job in the failed list after the last attempt', async () => {
      await sink.stop();
      const id = await user(address());
      await app.app.get(Notifier).enqueue('trial-ending', { userId: id, trialEndsAt: '2031-01-01T00:00:00.000Z' }, `f-${id}`, { attempts: 2 });
      const job = await settled(queue, `f-${id}`, 'failed');
      expect(job.attemptsMade).toBe(2);
      expect(job.failedReason).toBeTruthy();
    });
  });
});
