import { Queue } from 'bullmq';
import { Delivery, FakeOwner, JobWorker, onlySchedules, schedulesQueue, uniqueJobsPrefix } from '../../test/support';
import { RunResult } from './schedules.processor';
import type { INestApplication } from '@nestjs/common';
import { createServiceApp, loadConfig } from '@phoenix/common';
import { dropRedisPrefix, redisClusterTargets } from '@phoenix/common/testing';
import { AppModule } from '../app.module';
import { configShape } from '../config';
import { ScheduleRegistrar } from './schedule.registrar';

// Real job-worker processes on the real Redis as the jobs user, a probe schedule every second,
// and an owner on the transport that counts what reaches it.
const EVERY_SECOND = '* * * * * *';

function settings(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...onlySchedules({ SCHEDULE_PROBE: EVERY_SECOND }),
    // A dead worker's job is taken up again after 4 s (the default is 30 s).
    JOBS_LOCK_MS: '4000',
    JOBS_BACKOFF_MS: '200',
    JOBS_COMMAND_TIMEOUT_MS: '20000',
    ...extra,
  };
}

const periodsOf = (deliveries: Delivery[]) => [...new Set(deliveries.map((d) => d.period))].sort();

describe('exactly one run per period', () => {
  let owner: FakeOwner;
  let prefix: string;
  let workers: JobWorker[] = [];
  let queue: Queue | undefined;

  beforeEach(async () => {
    prefix = uniqueJobsPrefix();
    owner = await FakeOwner.start();
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    await queue?.close();
    queue = undefined;
    await owner.close();
    await dropRedisPrefix(prefix);
  });

  it('runs each period of a one-second schedule once across three job-workers, one of them killed and restarted', async () => {
    workers = await Promise.all([0, 1, 2].map(() => JobWorker.start(prefix, settings())));
    await Promise.all(workers.map((w) => w.ready()));
    const victim = workers[1]!;

    await owner.until('3 periods before the kill', () => periodsOf(owner.deliveries).length >= 3);
    await victim.kill();
    const atKill = periodsOf(owner.deliveries).length;
    await owner.until('3 periods with a worker dead', () => periodsOf(owner.deliveries).length >= atKill + 3);
    victim.restart();
    await victim.ready();
    const atRestart = periodsOf(owner.deliveries).length;
    await owner.until('3 periods after the restart', () => periodsOf(owner.deliveries).length >= atRestart + 3);
    await Promise.all(workers.map((w) => w.stop()));

    const periods = periodsOf(owner.deliveries);
    expect(periods.length).toBeGreaterThanOrEqual(10);
    // Consecutive seconds from the first to the last: none was lost (a run the killed worker held
    // was taken up again once its lock ran out, seconds before the restart was ready).
    const first = Date.parse(periods[0]!);
    expect(periods).toEqual(periods.map((_, i) => new Date(first + i * 1000).toISOString()));
    // The owner acted once on each; a period reaches it twice only if the killed worker had sent
    // it and died before it could record the reply.
    expect(owner.effects.size).toBe(periods.length);
    expect(owner.deliveries.length - periods.length).toBeLessThanOrEqual(1);
    // And every one of the three did its share (the queue was shared, not run by one alone).
    const ranBy = workers.map((w) => w.lines().filter((l) => l.msg === 'scheduled run done').length);
    expect(ranBy.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('takes up a run whose worker was killed mid-run and completes it, the owner acting once', async () => {
    let heldKey: string | null = null;
    // The first delivery of the first period gets no answer; any later delivery does.
    owner.hold = (c) => {
      heldKey ??= c.idempotencyKey;
      return c.idempotencyKey === heldKey && owner.deliveriesOf(heldKey) === 1;
    };
    const first = await JobWorker.start(prefix, settings({ JOBS_CONCURRENCY: '1' }));
    workers = [first];
    await first.ready();
    await owner.until('a run to reach the owner', () => heldKey !== null);
    const key = heldKey!;
    const period = key.slice(key.indexOf('@') + 1);
    // The owner has acted and not answered: the worker dies holding the job.
    await first.kill();
    expect(owner.deliveriesOf(key)).toBe(1);

    const second = await JobWorker.start(prefix, settings());
    workers.push(second);
    await second.ready();
    await owner.until('the run to be taken up again', () => owner.deliveriesOf(key) === 2);

    queue = schedulesQueue(prefix);
    const jobId = `repeat:platform.jobs.probe:${Date.parse(period)}`;
    const deadline = Date.now() + 30_000;
    while ((await queue.getJobState(jobId)) !== 'completed') {
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${await queue.getJobState(jobId)}\n${second.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const job = (await queue.getJob(jobId))!;
    expect(job.stalledCounter).toBe(1);
    expect(job.returnvalue as RunResult).toEqual({ schedule: 'platform.jobs.probe', period, reply: { effects: 0 } });
    expect(owner.deliveriesOf(key)).toBe(2);
    expect(owner.effects.has(key)).toBe(true);
    expect(second.lines().some((l) => l.msg === 'scheduled run done' && l.period === period)).toBe(true);

    // Run again by hand (Bull Board's "Retry" on a completed job): the period is done, nothing is sent.
    const finishedBefore = job.finishedOn!;
    await job.retry('completed');
    while ((await queue.getJobState(jobId)) !== 'completed' || (await queue.getJob(jobId))!.finishedOn === finishedBefore) {
      if (Date.now() > deadline + 30_000) throw new Error(`job ${jobId} not run again\n${second.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await queue.getJob(jobId))!.returnvalue as RunResult).toEqual({ schedule: 'platform.jobs.probe', period, duplicate: true });
    expect(owner.deliveriesOf(key)).toBe(2);
  }, 120_000);
});

// On the stack's Redis Cluster (README "Redis Cluster"): BullMQ's keys under the hash-tagged
// prefix in one slot, the period markers beside them, the owner on the transport (each end's
// subscriber on whichever node) found by PUBSUB NUMSUB summed over every node. Two job-workers as
// the jobs user — two apps in this process, quicker to start than two more processes, each with
// its own clients — and a few periods: each reaches the owner once.
describe.each(redisClusterTargets())('exactly one run per period on the Redis $name', ({ sideUrl, adminUrl }) => {
  let owner: FakeOwner | undefined;
  let prefix: string;
  let apps: INestApplication[] = [];

  afterEach(async () => {
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
    await owner?.close();
    await dropRedisPrefix(prefix, adminUrl);
  });

  it('runs each period of a one-second schedule once across two job-workers', async () => {
    prefix = uniqueJobsPrefix();
    owner = await FakeOwner.start(sideUrl('config-service'));
    const config = loadConfig(configShape, { ...process.env, ...settings(), REDIS_URL: sideUrl('job-worker'), JOBS_PREFIX: prefix, LOG_LEVEL: 'warn' });
    apps = await Promise.all(
      [0, 1].map(async () => {
        const app = await createServiceApp({ service: 'job-worker', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
        await app.init();
        return app;
      }),
    );
    await owner.until('the schedules to be reconciled', () => apps.every((a) => a.get(ScheduleRegistrar).ready), 30_000);
    await owner.until('4 periods', () => periodsOf(owner!.deliveries).length >= 4);
    await Promise.all(apps.map((a) => a.close()));
    apps = [];

    const periods = periodsOf(owner.deliveries);
    const first = Date.parse(periods[0]!);
    expect(periods).toEqual(periods.map((_, i) => new Date(first + i * 1000).toISOString()));
    expect(owner.deliveries).toHaveLength(periods.length);
    expect(owner.effects.size).toBe(periods.length);
  }, 60_000);
});
