import { loadConfig } from '@phoenix/common';
import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape } from './config';

describeConfigSchema(
  'job-worker',
  configShape,
  {
    REDIS_URL: 'redis://127.0.0.1:6379',
  },
  ['REDIS_URL'],
);

describe('job-worker schedule and queue settings', () => {
  const load = (env: Record<string, string>) => loadConfig(configShape, { REDIS_URL: 'redis://127.0.0.1:6379', ...env });

  it.each(['* * * *', 'every minute', '61 * * * *', '* * * * * * *', '0 0 31 2 *'])('refuses the schedule %p, naming the variable', (pattern) => {
    expect(() => load({ SCHEDULE_LEASES_EXPIRE: pattern })).toThrow(/SCHEDULE_LEASES_EXPIRE: must be a cron pattern/);
  });

  it.each(['off', '*/10 * * * *', '*/2 * * * * *', '0 9 * * 1-5'])('takes the schedule %p', (pattern) => {
    expect(load({ SCHEDULE_NODES_REAP: pattern }).SCHEDULE_NODES_REAP).toBe(pattern);
  });

  it.each(['bull', 'jobs:sched', 'identity:{sched}', 'jobs:{}', 'jobs:{a}:b'])('refuses the queue prefix %p (outside jobs:, or without a hash tag last)', (prefix) => {
    expect(() => load({ JOBS_PREFIX: prefix })).toThrow(/JOBS_PREFIX/);
  });

  it('keeps the queues under jobs:{sched} by default, and takes a suite of its own', () => {
    expect(load({}).JOBS_PREFIX).toBe('jobs:{sched}');
    expect(load({ JOBS_PREFIX: 'jobs:test:{t-1a2b}' }).JOBS_PREFIX).toBe('jobs:test:{t-1a2b}');
  });
});
