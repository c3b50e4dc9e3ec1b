import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppError, InjectConfig, type RedisClient, isRedisClusterUrl } from '@phoenix/common';
import { createRedis } from '@phoenix/database';
import { JobsOptions, Queue } from 'bullmq';
import type { AuthConfig } from '../config';

export const NOTIFICATIONS_QUEUE = 'notifications';

/**
 * `BULLMQ_PREFIX`, checked for the Redis it goes to: on a Redis Cluster every key of a queue must
 * share one slot (BullMQ's scripts name several), so the prefix must carry a `{hash tag}`.
 * @throws Error at start-up when `REDIS_URL` is a cluster's and the prefix has no tag
 */
export function bullPrefix(config: Pick<AuthConfig, 'REDIS_URL' | 'BULLMQ_PREFIX'>): string {
  if (isRedisClusterUrl(config.REDIS_URL) && !/\{[^}]+\}/.test(config.BULLMQ_PREFIX)) {
    throw new Error('BULLMQ_PREFIX must hold a {hash tag} (e.g. identity:{bull}) on a Redis Cluster');
  }
  return config.BULLMQ_PREFIX;
}

/** Job names and payloads of the `notifications` queue (consumed on the identity side by NotificationsWorker: job-worker's Redis user cannot read it). */
export interface NotificationPayloads {
  'payment-failed': { userId: string; provider: 'stripe' | 'apple'; graceUntil: string | null };
  'trial-ending': { userId: string; trialEndsAt: string };
  'subscription-ended': { userId: string; provider: 'stripe' | 'apple' | 'trial'; reason: 'canceled' | 'expired' | 'refunded' };
}
export type NotificationName = keyof NotificationPayloads;

const ENQUEUE_TIMEOUT_MS = 3000;

/**
 * The BullMQ producer of the `notifications` queue. A job id per cause (event id, user) makes a
 * retried webhook enqueue each notification at most once.
 *
 * The queue runs on a client of our own rather than one BullMQ makes, so its outages are logged
 * like every other Redis client's (`createRedis`); the client is also fail-fast, which is what a
 * producer wants (BullMQ's advice for a `Queue`: no offline queue).
 */
@Injectable()
export class Notifier implements OnApplicationShutdown {
  private readonly logger = new Logger('Notifier');
  private readonly redis: RedisClient;
  private readonly queue: Queue;
  private readonly retry: Pick<JobsOptions, 'attempts' | 'backoff'>;

  constructor(@InjectConfig() config: AuthConfig) {
    // Retries with exponential backoff (the consumer's SMTP server may be away); after the last
    // attempt the job stays in the queue's failed list for an operator.
    this.retry = { attempts: config.NOTIFICATIONS_ATTEMPTS, backoff: { type: 'exponential', delay: config.NOTIFICATIONS_BACKOFF_MS } };
    this.redis = createRedis(config.REDIS_URL, 'auth-service-notifications');
    this.queue = new Queue(NOTIFICATIONS_QUEUE, { connection: this.redis, prefix: bullPrefix(config) });
    this.queue.on('error', (e) => this.logger.debug(`queue connection: ${e.message}`));
  }

  /** @throws AppError UNAVAILABLE when the queue cannot take the job (the caller's transaction then rolls back) */
  async enqueue<N extends NotificationName>(name: N, payload: NotificationPayloads[N], jobId: string, opts: Pick<JobsOptions, 'delay' | 'attempts'> = {}): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.add(name, payload, { jobId: jobId.replace(/:/g, '-'), removeOnComplete: 1000, removeOnFail: 5000, ...this.retry, ...opts }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('Command timed out')), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch (e) {
      throw AppError.unavailable('notification queue', e);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Drops a pending job (erasure: no delayed job keeps a deleted user's id). Best effort. */
  async cancel(jobId: string): Promise<void> {
    await this.queue.remove(jobId.replace(/:/g, '-')).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    // A connection handed to BullMQ is the caller's to close.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
