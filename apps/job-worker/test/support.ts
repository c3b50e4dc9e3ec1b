// Helpers of job-worker's integration specs: a suite's own queue prefix, job-worker processes with
// only the schedules a spec wants, and a fake owner that counts the commands it receives.
import { randomBytes } from 'node:crypto';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Patterns, ScheduledCommand, redisTransportOptions } from '@phoenix/common';
import { ServiceProcess, freeLoopbackPort, sideRedisUrl, spawnService, waitForHttp } from '@phoenix/common/testing';
import { Queue } from 'bullmq';
import { bullConnection } from '../src/schedules/bull-connection';
import { SCHEDULES } from '../src/schedules/schedules.catalogue';
import { SCHEDULES_QUEUE } from '../src/schedules/schedules.queue';

export const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: is the local stack running?`);
  return v;
};

/** A suite's own queues and keys, inside the jobs user's namespace, hash-tagged like the default. */
export function uniqueJobsPrefix(): string {
  return `jobs:{t-${randomBytes(4).toString('hex')}}`;
}

/** Every schedule off, but those given. */
export function onlySchedules(patterns: Record<string, string>): Record<string, string> {
  return Object.fromEntries(SCHEDULES.map((s) => [s.env, patterns[s.env] ?? 'off']));
}

/** One job-worker process (`src/main.ts`) as the jobs Redis user, on a port of its own. */
export class JobWorker {
  private constructor(
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    public proc: ServiceProcess,
  ) {}

  static async start(prefix: string, extra: Record<string, string>): Promise<JobWorker> {
    const port = await freeLoopbackPort();
    const runEnv = { ...process.env, REDIS_URL: sideRedisUrl('job-worker'), PORT: String(port), HOST: '127.0.0.1', JOBS_PREFIX: prefix, LOG_LEVEL: 'info', ...extra };
    return new JobWorker(port, runEnv, spawnService('job-worker', runEnv));
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.proc.output();
  }

  /** The parsed JSON log lines. */
  lines(): Array<Record<string, unknown>> {
    return this.output()
      .split('\n')
      .flatMap((l) => {
        try {
          const v = JSON.parse(l) as unknown;
          return typeof v === 'object' && v !== null ? [v as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    await waitForHttp(`${this.base}/health/ready`, timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.output().slice(-4000)}`);
    });
  }

  /** A crash: nothing is said to Redis, the job it holds stays active until its lock runs out. */
  async kill(): Promise<void> {
    const exited = this.proc.exited;
    this.proc.proc.kill('SIGKILL');
    await exited;
  }

  /** Starts it again, same port and environment. */
  restart(): void {
    this.proc = spawnService('job-worker', this.env);
  }

  async stop(): Promise<void> {
    await this.proc.stop(15_000);
  }
}

/** The suite's `schedules` queue, as the jobs user sees it. */
export function schedulesQueue(prefix: string): Queue {
  const q = new Queue(SCHEDULES_QUEUE, { connection: bullConnection(sideRedisUrl('job-worker')), prefix });
  q.on('error', () => undefined);
  return q;
}


export interface Delivery {
  key: string;
  period: string;
  at: number;
}

/**
 * An owner of `platform.jobs.probe` on the real Redis transport, in the spec's process. Its effect
 * is idempotent on the command's key, as a real owner's must be: `effects` counts the keys it
 * acted on, `deliveries` every message. `hold` keeps matching deliveries waiting for a reply.
 */
export class FakeOwner {
  readonly deliveries: Delivery[] = [];
  readonly effects = new Map<string, number>();
  hold: ((c: ScheduledCommand) => boolean) | null = null;
  private readonly held: Array<(cmd: ScheduledCommand) => void> = [];
  private waiters: Array<() => void> = [];
  private app?: INestMicroservice;

  /** On the transport of `redisUrl` (default: the stack's Redis, as the admin). */
  static async start(redisUrl = env('REDIS_URL')): Promise<FakeOwner> {
    const owner = new FakeOwner();
    @Controller()
    class ProbeController {
      @MessagePattern(Patterns.JOBS_PROBE)
      probe(@Payload() c: ScheduledCommand): Promise<{ effects: number }> | { effects: number } {
        return owner.receive(c);
      }
    }
    @Module({ controllers: [ProbeController] })
    class OwnerModule {}
    owner.app = await NestFactory.createMicroservice(OwnerModule, { ...redisTransportOptions(redisUrl), logger: false });
    await owner.app.listen();
    return owner;
  }

  private receive(c: ScheduledCommand): Promise<{ effects: number }> | { effects: number } {
    this.deliveries.push({ key: c.idempotencyKey, period: c.period, at: Date.now() });
    const first = !this.effects.has(c.idempotencyKey);
    if (first) this.effects.set(c.idempotencyKey, Date.now());
    for (const w of this.waiters.splice(0)) w();
    const reply = { effects: first ? 1 : 0 };
    if (this.hold?.(c)) return new Promise((resolve) => this.held.push(() => resolve(reply)));
    return reply;
  }

  /** Resolves once `check` holds, re-checked at every delivery (bounded). */
  async until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.deliveries.length} deliveries)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  deliveriesOf(key: string): number {
    return this.deliveries.filter((d) => d.key === key).length;
  }

  async close(): Promise<void> {
    await this.app?.close();
  }
}
