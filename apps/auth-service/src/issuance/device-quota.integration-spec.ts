import { randomUUID } from 'node:crypto';
import { FakeClock, dropRedisPrefix, redisTestTargets } from '@phoenix/common/testing';
import type { AuthConfig } from '../config';
import { QuotaService } from './quota.service';

const HOUR = 3_600_000;

// A tenant device's tokens per rolling day (the plan's tokensPerDevicePerDay): the consumer quota's
// script on a key of its own per device, against the stack's Redis server and its Redis Cluster
// (one key per call: one slot).
describe.each(redisTestTargets())('QuotaService per device (Redis $name)', ({ sideUrl, adminUrl }) => {
  let clock: FakeClock;
  let quota: QuotaService;
  let prefix: string;

  beforeEach(async () => {
    clock = new FakeClock(Date.parse('2026-03-01T10:30:00Z'));
    prefix = `identity:devquotatest-${randomUUID()}:`;
    quota = new QuotaService(clock, { REDIS_URL: sideUrl('auth-service'), REDIS_KEY_PREFIX: prefix, TOKEN_QUOTA_PER_DAY: 1000 } as AuthConfig);
    await quota.onModuleInit();
  });
  afterEach(async () => {
    await quota.onApplicationShutdown();
    await dropRedisPrefix(prefix, adminUrl);
  });

  it("allows the plan's limit per device, then refuses until the oldest hour rolls off; each device and each user counts apart", async () => {
    const device = randomUUID();
    expect(await quota.consumeDevice(device, 2, 3)).toMatchObject({ allowed: true, used: 2 });
    clock.t += HOUR;
    expect(await quota.consumeDevice(device, 1, 3)).toMatchObject({ allowed: true, used: 3 });
    const refused = await quota.consumeDevice(device, 1, 3);
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBe((23 * HOUR - 30 * 60_000) / 1000);
    // Another device, and the consumer quota of a user with the same id, are untouched.
    expect(await quota.consumeDevice(randomUUID(), 3, 3)).toMatchObject({ allowed: true, used: 3 });
    expect(await quota.consume(device, 1)).toMatchObject({ allowed: true, used: 1 });
    clock.t += 23 * HOUR - 30 * 60_000;
    expect(await quota.consumeDevice(device, 2, 3)).toMatchObject({ allowed: true, used: 3 });
    expect(await quota.usedByDevice(device)).toBe(3);
  });

  it('never overspends a device under concurrency, and gives back a release', async () => {
    const device = randomUUID();
    const results = await Promise.all(Array.from({ length: 25 }, () => quota.consumeDevice(device, 1, 7)));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
    const d = results.find((r) => r.allowed);
    if (!d?.allowed) throw new Error('expected an allowed consumption');
    await quota.releaseDevice(device, d.bucket, 1);
    expect(await quota.usedByDevice(device)).toBe(6);
  });
});
