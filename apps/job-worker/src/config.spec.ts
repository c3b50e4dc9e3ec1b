import { loadConfig } from '@phoenix/common';
import { describeConfigSchema } from '@phoenix/common/testing';
import { blocklistEnabled, configShape, loadJobsConfig } from './config';

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

describe('job-worker blocklist settings', () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379' };
  const key = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

  it('compiles daily at 04:15 UTC from StevenBlack at p = 1e-6, refusing a 20 % shrink, when an origin is set', () => {
    const c = loadJobsConfig({ ...base, BLOCKLIST_ORIGIN_DIR: '/srv/origin' });
    expect(c).toMatchObject({
      SCHEDULE_BLOCKLIST_COMPILE: '15 4 * * *',
      BLOCKLIST_SOURCE_URL: 'https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts',
      BLOCKLIST_FALSE_POSITIVE_RATE: 1e-6,
      BLOCKLIST_MAX_SHRINK: 0.2,
      BLOCKLIST_MAX_INVALID: 0.01,
      BLOCKLIST_KEEP_VERSIONS: 5,
      BLOCKLIST_COMPILE_AT_START: 'off',
    });
    expect(blocklistEnabled(c)).toBe(true);
    expect(blocklistEnabled(loadJobsConfig(base))).toBe(false);
  });

  it('refuses a signing key that is not one, naming the variable', () => {
    expect(() => loadJobsConfig({ ...base, BLOCKLIST_SIGNING_KEY: 'a-long-passphrase-not-a-key' })).toThrow(/BLOCKLIST_SIGNING_KEY: must be an Ed25519 private key/);
  });

  it('refuses the development key in production, and an enabled schedule without an origin', () => {
    const prod = { ...base, NODE_ENV: 'production', ADMIN_TOKEN: 'prod-admin-token-0123456789' };
    expect(() => loadJobsConfig({ ...prod, BLOCKLIST_ORIGIN_DIR: '/srv/origin' })).toThrow(/BLOCKLIST_SIGNING_KEY: development secret refused in production/);
    expect(() => loadJobsConfig({ ...prod, BLOCKLIST_SIGNING_KEY: key })).toThrow(/BLOCKLIST_ORIGIN_DIR: is required in production/);
    expect(loadJobsConfig({ ...prod, BLOCKLIST_SIGNING_KEY: key, BLOCKLIST_ORIGIN_DIR: '/srv/origin' }).BLOCKLIST_ORIGIN_DIR).toBe('/srv/origin');
    expect(blocklistEnabled(loadJobsConfig({ ...prod, BLOCKLIST_SIGNING_KEY: key, SCHEDULE_BLOCKLIST_COMPILE: 'off' }))).toBe(false);
  });

  it.each([
    ['BLOCKLIST_FALSE_POSITIVE_RATE', '0'],
    ['BLOCKLIST_FALSE_POSITIVE_RATE', '1'],
    ['BLOCKLIST_MAX_SHRINK', '1.5'],
    ['BLOCKLIST_MAX_INVALID', '-0.1'],
    ['BLOCKLIST_SOURCE_URL', 'ftp://example.com/hosts'],
    ['BLOCKLIST_COMPILE_AT_START', 'always'],
  ])('refuses %s=%p', (name, value) => {
    expect(() => loadJobsConfig({ ...base, [name]: value })).toThrow(new RegExp(`${name}: `));
  });
});
