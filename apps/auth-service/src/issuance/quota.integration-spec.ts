import { randomUUID } from 'node:crypto';
import { FakeClock, redisTestTargets } from '@phoenix/common/testing';
import type { AuthConfig } from '../config';
import { QuotaService } from './quota.service';

const HOUR = 3_600_000;

// The rolling-day quota script against the real Redis, with a clock the test moves: the stack's
// Redis server, and its Redis Cluster (README "Redis Cluster"; the script names one key, the user's).
describe.each(redisTestTargets())('QuotaService (Redis $name)', ({ sideUrl }) => {
  let clock: FakeClock;
  let quota: QuotaService;

  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-03-01T10:30:00Z'));
    quota = new QuotaService(clock, { REDIS_URL: sideUrl('auth-service'), REDIS_KEY_PREFIX: `identity:quotatest-${randomUUID()}:`, TOKEN_QUOTA_PER_DAY: 10 } as AuthConfig);
    await quota.onModuleInit();
  });
  afterEach(async () => {
    await quota.onApplicationShutdown();
  });

  it('allows up to the limit, then refuses with the time until the oldest hour rolls off', async () => {
    const user = randomUUID();
    expect(await quota.consume(user, 4)).toMatchObject({ allowed: true, used: 4 });
    clock.t += 2 * HOUR;
    expect(await quota.consume(user, 6)).toMatchObject({ allowed: true, used: 10 });
    const refused = await quota.consume(user, 1);
    expect(refused.allowed).toBe(false);
    // The 4 from 10:xx free up when the 10:00 bucket leaves the window: at 10:00 the next day.
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBe((24 * HOUR - 2 * HOUR - 30 * 60_000) / 1000);
    clock.t += 22 * HOUR - 30 * 60_000; // 10:00 next day
    expect(await quota.consume(user, 4)).toMatchObject({ allowed: true, used: 10 });
    expect(await quota.consume(user, 1)).toMatchObject({ allowed: false });
    expect(await quota.used(user)).toBe(10);
  });

  it('refuses a batch larger than the whole quota for a full day', async () => {
    const d = await quota.consume(randomUUID(), 11);
    expect(d).toMatchObject({ allowed: false });
    if (!d.allowed) expect(d.retryAfterSeconds).toBe(86_400);
  });

  it('never overspends under concurrency', async () => {
    const user = randomUUID();
    const results = await Promise.all(Array.from({ length: 30 }, () => quota.consume(user, 1)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
  });

  it('gives back a released consumption and forgets the user on erasure', async () => {
    const user = randomUUID();
    const d = await quota.consume(user, 3);
    if (!d.allowed) throw new Error('expected allowed');
    await quota.release(user, d.bucket, 3);
    expect(await quota.used(user)).toBe(0);
    await quota.consume(user, 2);
    await quota.forget(user);
    expect(await quota.used(user)).toBe(0);
  });
});
