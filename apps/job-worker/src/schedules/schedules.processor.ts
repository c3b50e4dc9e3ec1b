import { performance } from 'node:perf_hooks';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { ControlClient } from '../control/control.client';
import { InjectConfig } from '@phoenix/common';
import type { JobsConfig } from '../config';
import { BullConnectionLog } from './bull-connection';
import { ScheduleRunsStore } from './schedule-runs.store';
import { scheduleDefinition } from './schedules.catalogue';
import { RunOutcome, ScheduleMetrics } from './schedules.metrics';
import { SCHEDULES_QUEUE } from './schedules.queue';

/** What a run returns (the job's return value in Bull Board). */
export interface RunResult {
  schedule: string;
  period: string;
  /** The owner's reply: what it did. */
  reply?: unknown;
  /** The period had already run (this job is a retry or a duplicate): nothing was sent. */
  duplicate?: true;
}

/**
 * The period a job runs: the due time of a scheduler's job (its id is `repeat:<schedule>:<ms>`;
 * a promoted job keeps it), or `manual:<job id>` for a job added by hand (Bull Board "Add job").
 */
export function periodOf(job: Pick<Job, 'id' | 'name'>): string {
  const m = /^repeat:(.+):(\d+)$/.exec(job.id ?? '');
  if (m && m[1] === job.name) return new Date(Number(m[2])).toISOString();
  return `manual:${job.id}`;
}

/**
 * Runs the jobs of the `schedules` queue: each sends its schedule's command to the owner and
 * waits for the reply. Exactly one run per period takes three things: BullMQ gives each period
 * one job id and one worker at a time; a run whose worker died is taken up again (stalled-job
 * check) and a failed one retried; and the period's done marker, set only after the owner
 * replied, makes any later run of the same period a no-op. What is left — a worker dying after
 * the owner acted but before the marker — is a second delivery of the same `idempotencyKey`,
 * which every owner handles safely (`ScheduledCommand`).
 *
 * The worker options (lock, concurrency) come from the config: `SchedulesModule.forRoot` applies
 * `@Processor` with them.
 */
export class SchedulesProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('Schedules');
  private readonly connectionLog = new BullConnectionLog('jobs-worker');

  constructor(
    private readonly control: ControlClient,
    private readonly runs: ScheduleRunsStore,
    private readonly metrics: ScheduleMetrics,
    @InjectConfig() private readonly config: JobsConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.connectionLog.watchReady(this.worker);
  }

  async process(job: Job): Promise<RunResult> {
    const started = performance.now();
    let outcome: RunOutcome = 'failed';
    try {
      const result = await this.run(job);
      outcome = result.duplicate ? 'duplicate' : 'done';
      return result;
    } finally {
      this.metrics.observeRun(scheduleDefinition(job.name) ? job.name : 'unknown', outcome, (performance.now() - started) / 1000);
    }
  }

  private async run(job: Job): Promise<RunResult> {
    const schedule = scheduleDefinition(job.name);
    if (!schedule) throw new UnrecoverableError(`no schedule is named ${job.name}`);
    if (schedule.queue !== SCHEDULES_QUEUE) throw new UnrecoverableError(`${job.name} runs in the ${schedule.queue} queue, not here`);
    const period = periodOf(job);
    if ((await this.runs.completed(schedule.id, period)) !== null) {
      this.logger.log({ msg: 'period already ran, nothing sent', schedule: schedule.id, period, jobId: job.id });
      return { schedule: schedule.id, period, duplicate: true };
    }
    const reply = await this.control.command(schedule.id, { schedule: schedule.id, period, idempotencyKey: `${schedule.id}@${period}` }, this.config.JOBS_COMMAND_TIMEOUT_MS);
    const first = await this.runs.markCompleted(schedule.id, period, reply, Date.now());
    this.logger.log({ msg: 'scheduled run done', schedule: schedule.id, period, attempt: job.attemptsMade + 1, reply });
    return first ? { schedule: schedule.id, period, reply } : { schedule: schedule.id, period, reply, duplicate: true };
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error): void {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const retrying = job.attemptsMade < attempts && !(error instanceof UnrecoverableError);
    this.logger.warn({ msg: retrying ? 'scheduled run failed, will retry' : 'scheduled run failed', schedule: job.name, period: periodOf(job), attempt: job.attemptsMade, attempts, reason: error.message });
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.connectionLog.error(this.worker, error);
  }
}
