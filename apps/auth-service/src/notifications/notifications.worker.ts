import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig, type RedisClient } from '@phoenix/common';
import { createRedis } from '@phoenix/database';
import { Job, UnrecoverableError, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { DEFAULT_PREFERENCES } from '../account/account.service';
import type { AuthConfig } from '../config';
import { NOTIFICATIONS_QUEUE, NotificationName, NotificationPayloads, bullPrefix } from './notifier';
import { MailSender, PushSender } from './senders';
import { renderMail } from './templates';
import { TrialNoticeMarkers } from './trial-ending';

const SHUTDOWN_WAIT_MS = 5000;

const NOTIFICATION_NAMES: readonly NotificationName[] = ['payment-failed', 'trial-ending', 'subscription-ended'];

/** What one job did, per channel; BullMQ keeps it as the job's return value (Bull Board shows it). */
export interface NotificationOutcome {
  email: 'sent' | 'off' | 'no-address' | 'erased';
  push: 'sent' | 'off' | 'erased';
}

interface RecipientRow {
  email: string | null;
  notify_email: boolean | null;
  notify_push: boolean | null;
}

/**
 * The consumer of the `notifications` queue, inside auth-service: it needs exactly what
 * auth-service already holds — the identity database (addresses, preferences) and the identity
 * side's Redis user (the queue lives under `identity:`) — so a separate process would add a
 * deployment without separating any credential. `NOTIFICATIONS_CONCURRENCY=0` (or no `SMTP_URL`)
 * keeps an instance from consuming, e.g. to run the consumer on dedicated auth-service replicas.
 *
 * The job carries only a user id and the facts of the notice; the address and the preferences
 * are read at send time, so an erased user (no row) gets nothing and a preference switched off
 * after the job was queued is honoured. A send that fails throws: BullMQ retries with exponential
 * backoff (NOTIFICATIONS_ATTEMPTS, NOTIFICATIONS_BACKOFF_MS, set by the Notifier) and keeps the
 * job in the failed list after the last attempt. Email goes first, then push: a retry after a
 * failed push would mail again, which is why push is the channel that cannot fail here (the
 * logging no-op; a real FCM adapter must swallow and log its errors the same way).
 */
@Injectable()
export class NotificationsWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NotificationsWorker');
  private redis?: RedisClient;
  private worker?: Worker;
  private stopped = false;

  constructor(
    @InjectConfig() private readonly config: AuthConfig,
    private readonly ds: DataSource,
    private readonly mail: MailSender,
    private readonly push: PushSender,
    private readonly trialMarkers: TrialNoticeMarkers,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.NOTIFICATIONS_CONCURRENCY === 0) return;
    if (!this.mail.configured) {
      this.logger.warn('SMTP_URL is not set: this process does not send notifications (they wait in the queue)');
      return;
    }
    // A worker's connection must wait out an outage rather than fail its commands (BullMQ wants
    // maxRetriesPerRequest null and no command timeout: its blocking reads outlast any timeout).
    this.redis = createRedis(this.config.REDIS_URL, 'auth-service-notifications-worker', { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined });
    // The worker (and the blocking connection it opens) starts once Redis is there; it then rides
    // out later outages on its own.
    this.redis.once('ready', () => this.startWorker());
  }

  private startWorker(): void {
    if (!this.redis || this.stopped) return;
    this.worker = new Worker(NOTIFICATIONS_QUEUE, (job) => this.process(job), {
      connection: this.redis,
      prefix: bullPrefix(this.config),
      concurrency: this.config.NOTIFICATIONS_CONCURRENCY,
    });
    this.worker.on('error', (e) => this.logger.debug(`worker connection: ${e.message}`));
    this.worker.on('failed', (job, e) => {
      if (!job) return;
      const last = job.attemptsMade >= (job.opts.attempts ?? 1) || e instanceof UnrecoverableError;
      this.logger.warn(`notification ${job.name} (job ${job.id}) attempt ${job.attemptsMade} failed${last ? ', no retry left: kept in the failed list' : ''}: ${e.message}`);
    });
  }

  /**
   * Lets running jobs finish, but never waits on an absent Redis: this connection waits out
   * outages (above), so a graceful close could wait for ever. Bounded, then dropped.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (!this.worker) {
      this.redis?.disconnect();
      return;
    }
    if (!this.redis) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((r) => (timer = setTimeout(r, SHUTDOWN_WAIT_MS)));
    const worker = this.worker;
    // close() and disconnect() both wait for the connection first: with Redis away, never.
    const closing = (async () => {
      await worker.close(this.redis?.status !== 'ready').catch(() => undefined);
      await worker.disconnect().catch(() => undefined);
    })();
    await Promise.race([closing, bound]);
    clearTimeout(timer);
    this.redis.disconnect();
  }

  /** Sends one notification job; exported for the worker only (BullMQ calls it). */
  async process(job: Job): Promise<NotificationOutcome> {
    const name = job.name as NotificationName;
    if (!NOTIFICATION_NAMES.includes(name)) throw new UnrecoverableError(`unknown notification ${job.name}`);
    const payload = job.data as NotificationPayloads[typeof name];
    const userId = (payload as { userId?: unknown }).userId;
    if (typeof userId !== 'string' || !/^[0-9a-f-]{36}$/i.test(userId)) throw new UnrecoverableError('notification without a user id');
    const rendered = renderMail(name, payload);
    const rows: RecipientRow[] = await this.ds.query(
      `SELECT u.email, p.notify_email, p.notify_push FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1`,
      [userId],
    );
    if (rows.length === 0) return { email: 'erased', push: 'erased' };
    const { email, notify_email, notify_push } = rows[0];
    const emailOn = notify_email ?? DEFAULT_PREFERENCES.notifications.email;
    const pushOn = notify_push ?? DEFAULT_PREFERENCES.notifications.push;
    const outcome: NotificationOutcome = { email: !emailOn ? 'off' : email ? 'sent' : 'no-address', push: pushOn ? 'sent' : 'off' };
    if (outcome.email === 'sent' && email) await this.mail.send(email, rendered);
    if (pushOn) await this.push.send({ userId, title: rendered.subject, body: rendered.text.split('\n\n')[0] });
    if (name === 'trial-ending') {
      // Noticed: a later identity.notifications.trial-ending run must not queue it again.
      const end = new Date((payload as NotificationPayloads['trial-ending']).trialEndsAt);
      if (!Number.isNaN(end.getTime())) await this.trialMarkers.mark(userId, end).catch((e: Error) => this.logger.warn(`trial notice marker not set: ${e.message}`));
    }
    return outcome;
  }
}
