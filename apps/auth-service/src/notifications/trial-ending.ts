import { Controller, Inject, Injectable, Logger } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Clock, InjectConfig, Patterns, type RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import { DataSource } from 'typeorm';
import type { AuthConfig } from '../config';
import { Notifier } from './notifier';

const DAY_MS = 86_400_000;

/** The reply of `identity.notifications.trial-ending`. */
export interface TrialEndingResult {
  /** Trials ending within TRIAL_ENDING_NOTICE_DAYS. */
  found: number;
  /** Notices enqueued by this run. */
  enqueued: number;
  /** Already noticed (by an earlier run, or sent from the trial's own delayed job). */
  alreadyNoticed: number;
  /** The queue refused the job; the next run tries again. */
  failed: number;
}

/**
 * The once-per-trial marker of the trial-ending notice, `<prefix>notice:trial-ending:<user>:<end ms>`,
 * kept until a day after the trial ends (then no run can find the trial any more). Set by the
 * command when it enqueues and by the worker when it sends, so the notice goes out once whichever
 * path — this command or the delayed job the trial's start queued, both with the job id
 * `trial-ending-<user>` — gets there first, even after BullMQ trimmed the completed job.
 */
@Injectable()
export class TrialNoticeMarkers {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @InjectConfig() private readonly config: AuthConfig,
    private readonly clock: Clock,
  ) {}

  key(userId: string, trialEndsAt: Date): string {
    return `${this.config.REDIS_KEY_PREFIX}notice:trial-ending:${userId}:${trialEndsAt.getTime()}`;
  }

  private ttlMs(trialEndsAt: Date): number {
    return Math.max(60_000, trialEndsAt.getTime() + DAY_MS - this.clock.nowMs());
  }

  /** Claims the notice; false when it was already claimed. */
  async claim(userId: string, trialEndsAt: Date): Promise<boolean> {
    return (await this.redis.set(this.key(userId, trialEndsAt), '1', 'PX', this.ttlMs(trialEndsAt), 'NX')) === 'OK';
  }

  async release(userId: string, trialEndsAt: Date): Promise<void> {
    await this.redis.del(this.key(userId, trialEndsAt)).catch(() => undefined);
  }

  async mark(userId: string, trialEndsAt: Date): Promise<void> {
    await this.redis.set(this.key(userId, trialEndsAt), '1', 'PX', this.ttlMs(trialEndsAt));
  }
}

/** Finds the trials ending within TRIAL_ENDING_NOTICE_DAYS and enqueues each one's notice once. */
@Injectable()
export class TrialEndingNotices {
  private readonly logger = new Logger('TrialEndingNotices');

  constructor(
    private readonly ds: DataSource,
    private readonly notifier: Notifier,
    private readonly markers: TrialNoticeMarkers,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async run(): Promise<TrialEndingResult> {
    const now = this.clock.now();
    const rows: Array<{ user_id: string; current_period_end: Date }> = await this.ds.query(
      `SELECT user_id, current_period_end FROM subscriptions
        WHERE provider = 'trial' AND state = 'trialing' AND current_period_end > $1 AND current_period_end <= $2
        ORDER BY current_period_end`,
      [now, new Date(now.getTime() + this.config.TRIAL_ENDING_NOTICE_DAYS * DAY_MS)],
    );
    const result: TrialEndingResult = { found: rows.length, enqueued: 0, alreadyNoticed: 0, failed: 0 };
    for (const { user_id: userId, current_period_end: end } of rows) {
      if (!(await this.markers.claim(userId, end))) {
        result.alreadyNoticed++;
        continue;
      }
      try {
        // One account has one trial ever (trial claims), so the user id names the trial: the same
        // job id as the delayed job the trial's start queued, which BullMQ then does not add twice.
        await this.notifier.enqueue('trial-ending', { userId, trialEndsAt: end.toISOString() }, `trial-ending-${userId}`);
        result.enqueued++;
      } catch (e) {
        await this.markers.release(userId, end);
        result.failed++;
        this.logger.warn(`trial-ending notice not enqueued: ${(e as Error).message}`);
      }
    }
    return result;
  }
}

/**
 * `identity.notifications.trial-ending` from job-worker over the Redis transport. Every replica
 * receives it; the marker makes each notice enqueued once across replicas and repeated runs.
 */
@Controller()
export class TrialEndingMessagesController {
  constructor(private readonly notices: TrialEndingNotices) {}

  @MessagePattern(Patterns.TRIAL_ENDING)
  run(): Promise<TrialEndingResult> {
    return this.notices.run();
  }
}
