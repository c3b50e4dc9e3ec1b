import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, MessagePattern } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { Patterns, PingReply } from './patterns';
import { redisClientOptions, redisTransportOptions } from './redis-transport';

// A Redis of this suite's own (never the stack's), so it can be restarted mid-test.
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) {
        proc.stdout?.off('data', onData);
        resolve(proc);
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('error', (e) => reject(new Error(`redis-server could not start (apt-get install redis-server): ${e.message}`)));
  });
}

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

async function stopRedis(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
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
  let port: number;
  let dir: string;
  let redis: ChildProcess;
  let server: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(`${tmpdir()}/phx-redis-`);
    redis = await startRedis(port, dir);
    const url = `redis://127.0.0.1:${port}`;
    server = await NestFactory.createMicroservice(EchoModule, { ...redisTransportOptions(url), logger: false });
    await server.listen();
    client = ClientProxyFactory.create(redisClientOptions('test', url));
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    if (redis) await stopRedis(redis);
  });

  it('carries a request and its reply', async () => {
    expect((await pingUntil(client, 5000)).service).toBe('echo');
  });

  it('heals by itself after Redis restarts: server and client reconnect', async () => {
    await stopRedis(redis);
    await expect(tcpConnect(port)).rejects.toThrow(/ECONNREFUSED/);
    redis = await startRedis(port, dir);
    expect((await pingUntil(client, 15_000)).service).toBe('echo');
  });
});
