import { loadConfig } from '@phoenix/common';
import { configShape } from '../config';
import { SCHEDULES, desiredSchedules, planSchedules } from './schedules.catalogue';

const base = { REDIS_URL: 'redis://127.0.0.1:6379' };
const config = (env: Record<string, string> = {}) => loadConfig(configShape, { ...base, ...env });

describe('the schedule catalogue', () => {
  it('by default runs every command schedule whose owner handles it, in UTC, and not the probe', () => {
    const desired = desiredSchedules(config());
    expect(Object.fromEntries(desired.map((d) => [d.id, d.pattern]))).toEqual({
      'identity.issuer-keys.rotate': '0 * * * *',
      'network.leases.expire': '* * * * *',
      'network.nodes.reap': '* * * * *',
      'network.fleet.report': '* * * * *',
      'identity.billing.reconcile': '20 * * * *',
      'identity.billing.tenant-usage': '0 5 1 * *',
      'identity.notifications.trial-ending': '0 9 * * *',
      'analytics.retention': '30 3 * * *',
    });
    for (const d of desired) {
      expect(d.tz).toBe('UTC');
      expect(d.template.name).toBe(d.id);
      expect(d.template.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 5000 } });
    }
  });

  it('leaves out a schedule set to off, takes a pattern with seconds, and names every env variable once', () => {
    const desired = desiredSchedules(config({ SCHEDULE_NODES_REAP: 'off', SCHEDULE_PROBE: '*/5 * * * * *' }));
    expect(desired.map((d) => d.id)).not.toContain('network.nodes.reap');
    expect(desired.find((d) => d.id === 'platform.jobs.probe')?.pattern).toBe('*/5 * * * * *');
    expect(new Set(SCHEDULES.map((s) => s.env)).size).toBe(SCHEDULES.length);
  });

  it('runs blocklist.compile daily in its own queue, only where an origin directory is set', () => {
    expect(desiredSchedules(config()).map((d) => d.id)).not.toContain('blocklist.compile');
    const withOrigin = desiredSchedules(config({ BLOCKLIST_ORIGIN_DIR: '/srv/origin' }));
    expect(withOrigin.find((d) => d.id === 'blocklist.compile')).toMatchObject({ queue: 'blocklist', pattern: '15 4 * * *', template: { name: 'blocklist.compile' } });
    expect(withOrigin.filter((d) => d.id !== 'blocklist.compile').every((d) => d.queue === 'schedules')).toBe(true);
    expect(desiredSchedules(config({ BLOCKLIST_ORIGIN_DIR: '/srv/origin', SCHEDULE_BLOCKLIST_COMPILE: 'off' })).map((d) => d.id)).not.toContain('blocklist.compile');
  });

  it('changes the fingerprint when the pattern or the job options change, and only then', () => {
    const fp = (env: Record<string, string>) => desiredSchedules(config(env)).find((d) => d.id === 'network.leases.expire')!.template.data.fingerprint;
    expect(fp({})).toBe(fp({}));
    expect(fp({ SCHEDULE_LEASES_EXPIRE: '*/2 * * * *' })).not.toBe(fp({}));
    expect(fp({ JOBS_ATTEMPTS: '3' })).not.toBe(fp({}));
    expect(fp({ SCHEDULE_NODES_REAP: 'off' })).toBe(fp({}));
  });
});

describe('planSchedules', () => {
  const desired = desiredSchedules(config({ SCHEDULE_BILLING_RECONCILE: 'off', SCHEDULE_TRIAL_ENDING: 'off', SCHEDULE_ANALYTICS_RETENTION: 'off', SCHEDULE_FLEET_REPORT: 'off', SCHEDULE_TENANT_USAGE_BILLING: 'off' }));
  const as = (id: string) => {
    const d = desired.find((x) => x.id === id)!;
    return { key: d.id, pattern: d.pattern, tz: d.tz, fingerprint: d.template.data.fingerprint };
  };

  it('creates every schedule in an empty queue', () => {
    const plan = planSchedules([], desired);
    expect(plan.upsert.map((d) => d.id).sort()).toEqual(desired.map((d) => d.id).sort());
    expect(plan.remove).toEqual([]);
  });

  it('removes what should not exist, updates what changed, leaves the rest alone', () => {
    const existing = [
      as('identity.issuer-keys.rotate'),
      { ...as('network.leases.expire'), pattern: '*/5 * * * *' },
      { ...as('network.nodes.reap'), fingerprint: 'older' },
      { key: 'identity.billing.reconcile', pattern: '20 * * * *', tz: 'UTC', fingerprint: 'x' },
      { key: 'legacy.cleanup', pattern: '0 0 * * *' },
    ];
    const plan = planSchedules(existing, desired);
    expect(plan.remove.sort()).toEqual(['identity.billing.reconcile', 'legacy.cleanup']);
    expect(plan.upsert.map((d) => d.id).sort()).toEqual(['network.leases.expire', 'network.nodes.reap']);
    expect(plan.unchanged).toEqual(['identity.issuer-keys.rotate']);
  });

  it('has nothing to do when the queue is as configured', () => {
    const plan = planSchedules(desired.map((d) => as(d.id)), desired);
    expect(plan.upsert).toEqual([]);
    expect(plan.remove).toEqual([]);
  });
});
