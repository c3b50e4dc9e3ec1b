import { connect } from 'node:net';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, MessagePattern } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { Patterns, PingReply } from './patterns';
import { redisClientOptions, redisTransportOptions } from './redis-transport';
import { ThrowawayRedis } from '../testing/redis-server';
import { redisClusterTargets } from '../testing/redis-targets';
import { channelListeners, newRedisClient } from '../redis/redis-client';

// A Redis of this suite's own (never the stack's), so it can be restarted mid-test.

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

@Controller()
class EchoPing {
  @MessagePattern(Patterns.PING)
  ping(): PingReply {
    return { service: 'echo', at: new Date().toISOString() };
  }
}

@Module({ controllers: [EchoPing] })
class EchoModule {}

async function pingUntil(client: ClientProxy, deadlineMs: number): Promise<PingReply> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await firstValueFrom(client.send<PingReply>(Patterns.PING, {}).pipe(timeout(1000)));
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`no reply within ${deadlineMs} ms: ${String(last)}`);
}

describe('Redis transport', () => {
  let redis: ThrowawayRedis;
  let server: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    const url = redis.url;
    server = await NestFactory.createMicroservice(EchoModule, { ...redisTransportOptions(url), logger: false });
    await server.listen();
    client = ClientProxyFactory.create(redisClientOptions('test', url));
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    await redis?.dispose();
  });

  it('carries a request and its reply', async () => {
    expect((await pingUntil(client, 5000)).service).toBe('echo');
  });

  it('heals by itself after Redis restarts: server and client reconnect', async () => {
    await redis.stop();
    await expect(tcpConnect(redis.port)).rejects.toThrow(/ECONNREFUSED/);
    await redis.start();
    expect((await pingUntil(client, 15_000)).service).toBe('echo');
  });
});

// The same transport on the stack's Redis Cluster (README "Redis Cluster"), each end as a side's
// user: Nest's pub and sub clients are ioredis Cluster clients, each subscriber on whichever node it
// picked, and a PUBLISH on any node reaches them all.
describe.each(redisClusterTargets())('Redis transport on the Redis $name', ({ sideUrl, adminUrl }) => {
  let server: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    server = await NestFactory.createMicroservice(EchoModule, { ...redisTransportOptions(sideUrl('config-service')), logger: false });
    await server.listen();
    client = ClientProxyFactory.create(redisClientOptions('test', sideUrl('job-worker')));
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('carries requests and replies, and every node together counts the listener', async () => {
    for (let i = 0; i < 5; i++) expect((await pingUntil(client, 5000)).service).toBe('echo');
    const admin = newRedisClient(adminUrl);
    try {
      await new Promise((resolve) => admin.once('ready', resolve));
      expect(await channelListeners(admin, Patterns.PING)).toBe(1);
    } finally {
      admin.disconnect();
    }
  });
});
