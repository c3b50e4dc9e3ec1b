import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@phoenix/common';
import { dropRedisPrefix, redisTestTargets } from '@phoenix/common/testing';
import { createRedis, waitForRedis } from '@phoenix/database';
import { TelemetryQueue } from './telemetry.queue';

// The durable queue's scripts and stream commands as the analytics side's user, on the stack's
// Redis and on its Redis Cluster (README "Redis Cluster"): the stream and the backlog counter share
// the `{telemetry}` tag, so the scripts that name both run in one slot.
describe.each(redisTestTargets())('TelemetryQueue on the Redis $name', ({ sideUrl, adminUrl }) => {
  const prefix = `analytics:qtest-${randomBytes(4).toString('hex')}:`;
  let redis: RedisClient;
  let queue: TelemetryQueue;

  beforeAll(async () => {
    redis = createRedis(sideUrl('analytics-service'), 'queue-spec');
    await waitForRedis(redis);
    queue = new TelemetryQueue(redis, prefix);
  });

  afterAll(async () => {
    redis?.disconnect();
    await dropRedisPrefix(prefix, adminUrl);
  });

  it('appends within the backlog, hands batches to a consumer, takes them over, and acknowledges each once', async () => {
    await queue.ensureGroup();
    await queue.ensureGroup(); // BUSYGROUP is fine
    expect(await queue.enqueue(['a\t1', 'b\t2'], randomBytes(16), 5)).toBe(2);
    expect(await queue.enqueue(['c\t3'], randomBytes(16), 5)).toBe(3);
    expect(await queue.enqueue(['d', 'e', 'f'], randomBytes(16), 5)).toBeNull(); // would pass 5
    expect(await queue.backlog()).toBe(3);

    const read = await queue.read('one', 10, 100);
    expect(read.batches.map((b) => b.rows)).toEqual([['a\t1', 'b\t2'], ['c\t3']]);
    // Another consumer takes over what `one` left (idle ≥ 0 ms), and keeps it with a touch.
    const claimed = await queue.claim('two', 0, '0-0', 10);
    expect(claimed.batches.map((b) => b.id)).toEqual(read.batches.map((b) => b.id));
    await queue.touch('two', claimed.batches.map((b) => b.id));

    const entries = read.batches.map((b) => ({ id: b.id, events: b.rows.length }));
    expect(await queue.ack(entries)).toEqual({ entries: 2, events: 3 });
    expect(await queue.ack(entries)).toEqual({ entries: 0, events: 0 }); // the second inserter's ack uncounts nothing
    expect(await queue.backlog()).toBe(0);
    expect(await queue.pruneConsumers('two', 0)).toBe(1); // `one`, holding nothing
  });
});
