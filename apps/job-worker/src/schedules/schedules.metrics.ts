import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { METRICS_REGISTRY, ServiceMetrics } from '@phoenix/common';
import type { Queue } from 'bullmq';
import { Gauge, Histogram } from 'prom-client';
import { ScheduleRunsStore } from './schedule-runs.store';
import { BLOCKLIST_QUEUE, type QueueName, SCHEDULES_QUEUE } from './schedules.queue';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;
/** A scrape never waits on Redis longer than this (during an outage the series are left out). */
const COLLECT_TIMEOUT_MS = 2000;

async function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), COLLECT_TIMEOUT_MS)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export type RunOutcome = 'done' | 'duplicate' | 'failed';

/**
 * The queues and schedules on `/metrics`. Job counts, next runs and last successes are read from
 * Redis when scraped, so every job-worker replica reports the same, whole picture; run durations
 * are this process's own. Labels are queue names, states and schedule ids only.
 */
@Injectable()
export class ScheduleMetrics {
  private readonly logger = new Logger('ScheduleMetrics');
  private readonly duration: Histogram<'queue' | 'schedule' | 'outcome'>;

  constructor(
    @Inject(METRICS_REGISTRY) metrics: ServiceMetrics,
    @InjectQueue(SCHEDULES_QUEUE) schedules: Queue,
    @InjectQueue(BLOCKLIST_QUEUE) blocklist: Queue,
    private readonly store: ScheduleRunsStore,
  ) {
    const registers = [metrics.registry];
    const queues: Array<[QueueName, Queue]> = [
      [SCHEDULES_QUEUE, schedules],
      [BLOCKLIST_QUEUE, blocklist],
    ];
    // `collect` runs with the metric as `this`: the queries are closed over instead.
    const jobCounts = (name: QueueName, queue: Queue) => this.read(`${name} job counts`, () => queue.getJobCounts(...STATES));
    const schedulers = async () => (await Promise.all(queues.map(([name, q]) => this.read(`${name} job schedulers`, () => q.getJobSchedulers(0, -1))))).flatMap((s) => s ?? []);
    const lastSuccesses = () => this.read('last successes', () => this.store.lastSuccesses());
    new Gauge({
      name: 'jobs_queue_jobs',
      help: 'Jobs in each state, per queue (read from Redis at scrape time)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const [name, queue] of queues) {
          const counts = await jobCounts(name, queue);
          if (counts) for (const state of STATES) this.set({ queue: name, state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'jobs_schedule_next_run_timestamp_seconds',
      help: 'When each schedule runs next (Unix time)',
      labelNames: ['schedule'],
      registers,
      async collect() {
        this.reset();
        for (const s of await schedulers()) if (typeof s.next === 'number') this.set({ schedule: s.key }, s.next / 1000);
      },
    });
    new Gauge({
      name: 'jobs_schedule_last_success_timestamp_seconds',
      help: 'When each schedule last completed a run, on any job-worker (Unix time)',
      labelNames: ['schedule'],
      registers,
      async collect() {
        this.reset();
        for (const [schedule, ms] of Object.entries((await lastSuccesses()) ?? {})) this.set({ schedule }, ms / 1000);
      },
    });
    this.duration = new Histogram({
      name: 'jobs_job_duration_seconds',
      help: 'Run time of the jobs this process ran, by outcome (duplicate: the period had already run)',
      labelNames: ['queue', 'schedule', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
  }

  observeRun(schedule: string, outcome: RunOutcome, seconds: number, queue: QueueName = SCHEDULES_QUEUE): void {
    this.duration.observe({ queue, schedule, outcome }, seconds);
  }

  private async read<T>(what: string, query: () => Promise<T>): Promise<T | undefined> {
    try {
      return await bounded(query());
    } catch (e) {
      this.logger.debug(`metrics: ${what} not read: ${(e as Error).message}`);
      return undefined;
    }
  }
}
