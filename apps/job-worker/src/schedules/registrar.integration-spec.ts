import { Queue, getNextMillis } from 'bullmq';
import { JobWorker, onlySchedules, schedulesQueue, uniqueJobsPrefix } from '../../test/support';
import { dropRedisPrefix } from '@phoenix/common/testing';

// Far-future patterns (1 January): the schedules exist and have a next job, none runs in the test.
const CONFIGURED = {
  SCHEDULE_LEASES_EXPIRE: '0 0 1 1 *',
  SCHEDULE_NODES_REAP: '5 0 1 1 *',
  SCHEDULE_ISSUER_KEYS_ROTATE: '10 0 1 1 *',
};
const N = 4;

describe('the schedule registrar, with several job-workers starting at once', () => {
  let prefix: string;
  let queue: Queue;
  let workers: JobWorker[] = [];

  beforeAll(() => {
    prefix = uniqueJobsPrefix();
    queue = schedulesQueue(prefix);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.close();
    await dropRedisPrefix(prefix);
  });

  it('leaves exactly the configured schedules: new ones added, changed ones updated, others removed, none twice', async () => {
    // What an older deployment left: one schedule now changed, one now off, one no longer known.
    await queue.upsertJobScheduler('network.nodes.reap', { pattern: '0 0 2 1 *', tz: 'UTC' }, { name: 'network.nodes.reap', data: { schedule: 'network.nodes.reap', fingerprint: 'older' } });
    await queue.upsertJobScheduler('identity.billing.reconcile', { pattern: '20 0 1 1 *', tz: 'UTC' }, { name: 'identity.billing.reconcile' });
    await queue.upsertJobScheduler('legacy.cleanup', { pattern: '30 0 1 1 *', tz: 'UTC' }, { name: 'legacy.cleanup' });

    workers = await Promise.all(Array.from({ length: N }, () => JobWorker.start(prefix, onlySchedules(CONFIGURED))));
    await Promise.all(workers.map((w) => w.ready()));

    const schedulers = await queue.getJobSchedulers(0, -1);
    expect(Object.fromEntries(schedulers.map((s) => [s.key, { pattern: s.pattern, tz: s.tz }]))).toEqual({
      'network.leases.expire': { pattern: '0 0 1 1 *', tz: 'UTC' },
      'network.nodes.reap': { pattern: '5 0 1 1 *', tz: 'UTC' },
      'identity.issuer-keys.rotate': { pattern: '10 0 1 1 *', tz: 'UTC' },
    });
    // One next job per schedule, due when the schedule says; nothing of the removed ones.
    const jobs = await queue.getJobs(['delayed', 'waiting', 'active', 'prioritized'], 0, -1);
    const next = (pattern: string) => getNextMillis(Date.now(), { pattern, tz: 'UTC' });
    expect(jobs.map((j) => j.id).sort()).toEqual(
      [
        `repeat:identity.issuer-keys.rotate:${next(CONFIGURED.SCHEDULE_ISSUER_KEYS_ROTATE)}`,
        `repeat:network.leases.expire:${next(CONFIGURED.SCHEDULE_LEASES_EXPIRE)}`,
        `repeat:network.nodes.reap:${next(CONFIGURED.SCHEDULE_NODES_REAP)}`,
      ].sort(),
    );

    // The first to take the lock changed the set; each of the others found it as configured.
    const logs = workers.map((w) => w.lines().filter((l) => l.context === 'ScheduleRegistrar'));
    const changed = logs.flat().filter((l) => l.msg === 'schedules reconciled');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      removed: expect.arrayContaining(['identity.billing.reconcile', 'legacy.cleanup']),
      upserted: expect.arrayContaining(['network.leases.expire (0 0 1 1 *)', 'network.nodes.reap (5 0 1 1 *)', 'identity.issuer-keys.rotate (10 0 1 1 *)']),
    });
    expect(logs.flat().filter((l) => l.msg === 'schedules as configured')).toHaveLength(N - 1);

    // Next runs on /metrics, from any replica.
    const metrics = await (await fetch(`${workers[0]!.base}/metrics`)).text();
    expect(metrics).toContain(`jobs_schedule_next_run_timestamp_seconds{schedule="network.leases.expire",service="job-worker"} ${next(CONFIGURED.SCHEDULE_LEASES_EXPIRE)! / 1000}`);
    expect(metrics).toMatch(/jobs_queue_jobs\{queue="schedules",state="delayed",service="job-worker"\} 3\n/);
  }, 120_000);

  it('applies a changed config when a replica restarts with it, and disturbs nothing when unchanged', async () => {
    const before = (await queue.getJobs(['delayed'], 0, -1)).map((j) => j.id).sort();
    const same = await JobWorker.start(prefix, onlySchedules(CONFIGURED));
    workers.push(same);
    await same.ready();
    expect((await queue.getJobs(['delayed'], 0, -1)).map((j) => j.id).sort()).toEqual(before);

    const changed = await JobWorker.start(prefix, onlySchedules({ ...CONFIGURED, SCHEDULE_NODES_REAP: 'off', SCHEDULE_LEASES_EXPIRE: '15 0 1 1 *' }));
    workers.push(changed);
    await changed.ready();
    const schedulers = await queue.getJobSchedulers(0, -1);
    expect(Object.fromEntries(schedulers.map((s) => [s.key, s.pattern]))).toEqual({ 'network.leases.expire': '15 0 1 1 *', 'identity.issuer-keys.rotate': '10 0 1 1 *' });
    const jobs = (await queue.getJobs(['delayed'], 0, -1)).map((j) => j.id);
    expect(jobs.filter((id) => id?.startsWith('repeat:network.leases.expire:'))).toHaveLength(1);
    expect(jobs.filter((id) => id?.startsWith('repeat:network.nodes.reap:'))).toEqual([]);
  }, 120_000);
});
