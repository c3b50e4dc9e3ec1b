import { Inject, Injectable } from '@nestjs/common';
import { REDIS } from '@phoenix/database';
import { InjectConfig, type RedisClient } from '@phoenix/common';
import type { JobsConfig } from '../config';
import { RUN_RETENTION_SEC } from './schedules.catalogue';

/** A period's done marker holds the reply, cut to this many characters (it is for the log). */
const MAX_REPLY_CHARS = 2000;

/**
 * job-worker's own Redis keys beside BullMQ's, under the same prefix (`jobs:{sched}:…`): which
 * periods ran, when each schedule last succeeded, the registrar's lock.
 */
@Injectable()
export class ScheduleRunsStore {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @InjectConfig() config: JobsConfig,
  ) {
    this.prefix = config.JOBS_PREFIX;
  }

  get registrarLockKey(): string {
    return `${this.prefix}:registrar`;
  }

  private doneKey(schedule: string, period: string): string {
    return `${this.prefix}:done:${schedule}:${period}`;
  }

  /** The reply recorded when `period` of `schedule` completed, or null if it has not. */
  async completed(schedule: string, period: string): Promise<string | null> {
    return this.redis.get(this.doneKey(schedule, period));
  }

  /**
   * Marks `period` of `schedule` done — only after the owner replied, so a run that dies first is
   * retried rather than lost. False when another run of the same period got there first.
   */
  async markCompleted(schedule: string, period: string, reply: unknown, atMs: number): Promise<boolean> {
    const value = JSON.stringify(reply ?? null).slice(0, MAX_REPLY_CHARS);
    const [[setError, set], [hsetError]] = (await this.redis
      .multi()
      .set(this.doneKey(schedule, period), value, 'EX', RUN_RETENTION_SEC, 'NX')
      .hset(`${this.prefix}:last-success`, schedule, String(atMs))
      .exec()) as [[Error | null, unknown], [Error | null, unknown]];
    if (setError) throw setError;
    if (hsetError) throw hsetError;
    return set === 'OK';
  }

  /** When each schedule last completed a run (milliseconds since the epoch), across every job-worker. */
  async lastSuccesses(): Promise<Record<string, number>> {
    const raw = await this.redis.hgetall(`${this.prefix}:last-success`);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
  }
}
