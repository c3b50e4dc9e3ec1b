import { randomUUID } from 'node:crypto';
import { PeersChangedEvent, newRedisClient, peersChangedChannel } from '@phoenix/common';
import { CapturedLogs, captureServiceLogs, ThrowawayRedis, redisClusterTargets, sideRedisUrl, until } from '@phoenix/common/testing';
import Redis from 'ioredis';
import { RedisPeerEvents } from './peer-events.subscriber';

const event: PeersChangedEvent = { nodeId: 'node-1', generation: 7, added: [], removed: ['key'] };
/** A Redis-transport packet of `e` on its node's channel, as config-service's ClientProxy.emit sends it. */
const packet = (e: PeersChangedEvent) => JSON.stringify({ pattern: peersChangedChannel(e.nodeId), data: e });

// The node's subscriber on a redis-server of this suite's own, killed and started again.
describe('RedisPeerEvents during a Redis outage', () => {
  let redis: ThrowawayRedis;
  let events: RedisPeerEvents;
  let logs: CapturedLogs;
  const lines = () => logs.lines();

  beforeEach(async () => {
    redis = await ThrowawayRedis.start();
    logs = captureServiceLogs('node-daemon');
  });

  afterEach(async () => {
    await events?.close();
    await redis.stop();
    logs?.restore();
  });

  it('logs the outage as one structured warning without the address, then its end, and reconciles after reconnecting', async () => {
    const received: PeersChangedEvent[] = [];
    let reconnects = 0;
    events = new RedisPeerEvents(redis.url);
    events.follow('node-1');
    events.start(
      (e) => received.push(e),
      () => (reconnects += 1),
    );
    await until('the subscriber to connect', 10_000, () => (events.connected() ? true : undefined));

    await redis.stop('SIGKILL');
    await until('a warning about Redis', 10_000, () => lines().find((l) => l.msg === 'Redis unavailable'));
    // Some more reconnect attempts (the subscriber backs off from 400 ms).
    await new Promise((r) => setTimeout(r, 3000));
    await redis.start();
    await until('the reconciliation after reconnecting', 20_000, () => (reconnects > 0 ? true : undefined));
    await until('the recovery line', 5000, () => lines().find((l) => l.msg === 'Redis available again'));

    const publisher = new Redis(redis.url);
    try {
      await until('the event to arrive again', 10_000, () => {
        // A publish still in flight when the publisher disconnects rejects: not an unhandled rejection.
        publisher.publish(peersChangedChannel(event.nodeId), packet(event)).catch(() => undefined);
        return received.length > 0 ? true : undefined;
      });
    } finally {
      publisher.disconnect();
    }

    const warnings = lines().filter((l) => l.msg === 'Redis unavailable' || l.msg === 'Redis still unavailable');
    expect(warnings).toEqual([expect.objectContaining({ level: 40, service: 'node-daemon', context: 'Redis', connection: 'peer-events', code: 'ECONNREFUSED' })]);
    expect(lines().filter((l) => l.msg === 'Redis available again')).toEqual([expect.objectContaining({ level: 30, connection: 'peer-events', failures: expect.any(Number) })]);
    expect(logs.text()).not.toContain('127.0.0.1');
    expect(received[0]).toEqual(event);
  }, 60_000);
});

// On the stack's Redis Cluster, as node-daemon's user (which may ask CLUSTER SLOTS and INFO and
// nothing else): the subscriber, on whichever node, hears what config-service's user publishes.
describe.each(redisClusterTargets())('RedisPeerEvents on the Redis $name', ({ sideUrl }) => {
  let events: RedisPeerEvents;

  afterEach(async () => {
    await events?.close();
  });

  it("hears config-service's announcements as node-daemon's user", async () => {
    const received: PeersChangedEvent[] = [];
    events = new RedisPeerEvents(sideUrl('node-daemon'));
    events.start(
      (e) => received.push(e),
      () => undefined,
    );
    events.follow('node-1');
    await until('the subscriber to connect', 10_000, () => (events.connected() ? true : undefined));
    const publisher = newRedisClient(sideUrl('config-service'));
    try {
      await until('the event', 10_000, () => {
        // A publish still in flight when the publisher disconnects rejects: not an unhandled rejection.
        publisher.publish(peersChangedChannel(event.nodeId), packet(event)).catch(() => undefined);
        return received.length > 0 ? true : undefined;
      });
    } finally {
      publisher.disconnect();
    }
    expect(received[0]).toEqual(event);
  });
});

// The stack's Redis, as node-daemon's user: one node's channel only, and the next one after a
// registration that gave another id.
describe("RedisPeerEvents: its own node's channel only", () => {
  let events: RedisPeerEvents;

  afterEach(async () => {
    await events?.close();
  });

  it('hears the followed node’s announcements and no other’s; after follow(another id) that node’s only', async () => {
    const received: PeersChangedEvent[] = [];
    events = new RedisPeerEvents(sideRedisUrl('node-daemon'));
    events.start(
      (e) => received.push(e),
      () => undefined,
    );
    await until('the subscriber to connect', 10_000, () => (events.connected() ? true : undefined));
    const [a, b] = [randomUUID(), randomUUID()];
    const admin = new Redis(process.env.REDIS_URL ?? '');
    const publisher = new Redis(sideRedisUrl('config-service'));
    const subscribers = async (channel: string) => ((await admin.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1];
    /** Publishes `e` on its node's channel until the subscriber heard it (bounded). */
    const heard = async (e: PeersChangedEvent) => {
      for (let i = 0; i < 100 && !received.some((r) => r.nodeId === e.nodeId && r.generation === e.generation); i++) {
        await publisher.publish(peersChangedChannel(e.nodeId), packet(e));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(received).toContainEqual(e);
    };
    try {
      // Not registered yet: nothing subscribed.
      expect(await subscribers(peersChangedChannel(a))).toBe(0);
      events.follow(a);
      await heard({ ...event, nodeId: a });
      // Another node's channel has no subscriber of ours: Redis delivers it to nobody.
      expect(await publisher.publish(peersChangedChannel(b), packet({ ...event, nodeId: b, generation: 99 }))).toBe(0);
      events.follow(a); // the same id again (a new token): nothing changes
      events.follow(b);
      await heard({ ...event, nodeId: b });
      expect(await subscribers(peersChangedChannel(a))).toBe(0);
      expect(await subscribers(peersChangedChannel(b))).toBe(1);
      expect(received.filter((e) => e.generation === 99)).toEqual([]);
      expect(new Set(received.map((e) => e.nodeId))).toEqual(new Set([a, b]));
    } finally {
      publisher.disconnect();
      admin.disconnect();
    }
  });
});
