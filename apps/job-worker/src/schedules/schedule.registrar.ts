import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { REDIS, acquireRedisLock, waitForRedis } from '@phoenix/database';
import type { Queue } from 'bullmq';
import { InjectConfig, type RedisClient } from '@phoenix/common';
import type { JobsConfig } from '../config';
import { BullConnectionLog } from './bull-connection';
import { ScheduleRunsStore } from './schedule-runs.store';
import { SchedulePlan, desiredSchedules, planSchedules } from './schedules.catalogue';
import { BLOCKLIST_QUEUE, type QueueName, SCHEDULES_QUEUE } from './schedules.queue';

const LOCK_TTL_MS = 30_000;
const LOCK_POLL_MS = 200;
const RETRY_MS = 5000;

/**
 * Decides the schedule set at start-up: under a Redis lock, so that replicas starting together
 * never call `upsertJobScheduler` concurrently (BullMQ's known source of duplicate and lost
 * schedules), it removes the schedules that should not exist, upserts new and changed ones, and
 * leaves the unchanged alone (an upsert would replace their next job). Each replica does this in
 * turn, so the set is the config of the last one to start. It runs again when Redis comes back
 * after an outage, since a Redis that lost its data lost the schedules with it.
 */
@Injectable()
export class ScheduleRegistrar implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ScheduleRegistrar');
  private reconciled = false;
  private running: Promise<void> | null = null;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;
  private readonly queues: ReadonlyMap<QueueName, Queue>;

  constructor(
    @InjectQueue(SCHEDULES_QUEUE) schedules: Queue,
    @InjectQueue(BLOCKLIST_QUEUE) blocklist: Queue,
    @Inject(REDIS) private readonly redis: RedisClient,
    @InjectConfig() private readonly config: JobsConfig,
    private readonly store: ScheduleRunsStore,
  ) {
    this.queues = new Map<QueueName, Queue>([
      [SCHEDULES_QUEUE, schedules],
      [BLOCKLIST_QUEUE, blocklist],
    ]);
    // The queues' errors must be heard from their first connection attempt on.
    new BullConnectionLog('jobs-queue').watch(schedules);
    new BullConnectionLog('jobs-queue-blocklist').watch(blocklist);
  }

  /** True once this process has seen the schedule set reconciled (readiness). */
  get ready(): boolean {
    return this.reconciled;
  }

  onApplicationBootstrap(): void {
    this.redis.on('ready', () => {
      if (this.reconciled) this.attempt();
    });
    this.attempt();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private attempt(): void {
    if (this.stopped || this.running) return;
    this.running = this.reconcile()
      .then(() => {
        this.reconciled = true;
        this.failures = 0;
      })
      .catch((e: Error) => {
        // Redis is down or slow at start: the outage itself is logged by the clients.
        if (this.failures++ === 0) this.logger.warn({ msg: 'schedules not reconciled yet, retrying', error: e.message });
        if (!this.stopped) this.retry = setTimeout(() => this.attempt(), RETRY_MS).unref();
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** Reconciles the schedules in Redis with the config, queue by queue, under the registrar lock. */
  async reconcile(): Promise<SchedulePlan> {
    // The shared client fails fast while it connects (no offline queue): give it a moment at start.
    await waitForRedis(this.redis, RETRY_MS);
    const release = await this.lock();
    try {
      const desired = desiredSchedules(this.config);
      const all: SchedulePlan = { remove: [], upsert: [], unchanged: [] };
      for (const [name, queue] of this.queues) {
        const existing = await queue.getJobSchedulers(0, -1);
        const plan = planSchedules(
          existing.map((s) => ({ key: s.key, pattern: s.pattern, tz: s.tz, fingerprint: (s.template?.data as { fingerprint?: unknown } | undefined)?.fingerprint })),
          desired.filter((d) => d.queue === name),
        );
        for (const id of plan.remove) await queue.removeJobScheduler(id);
        for (const s of plan.upsert) await queue.upsertJobScheduler(s.id, { pattern: s.pattern, tz: s.tz }, s.template);
        all.remove.push(...plan.remove);
        all.upsert.push(...plan.upsert);
        all.unchanged.push(...plan.unchanged);
      }
      if (all.remove.length || all.upsert.length) {
        this.logger.log({ msg: 'schedules reconciled', removed: all.remove, upserted: all.upsert.map((s) => `${s.id} (${s.pattern})`), unchanged: all.unchanged });
      } else {
        this.logger.log({ msg: 'schedules as configured', unchanged: all.unchanged });
      }
      return all;
    } finally {
      await release();
    }
  }

  /** Waits for the registrar lock; a holder that died lets it go when its TTL ends. */
  private async lock(): Promise<() => Promise<void>> {
    const deadline = Date.now() + 2 * LOCK_TTL_MS;
    for (;;) {
      const release = await acquireRedisLock(this.redis, this.store.registrarLockKey, LOCK_TTL_MS);
      if (release) return release;
      if (Date.now() > deadline || this.stopped) throw new Error('the registrar lock stayed taken');
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
}
