import { join, resolve } from 'node:path';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { manifestPublicKey, verifyManifest } from '@phoenix/blocklist';
import { InjectConfig } from '@phoenix/common';
import { type ConnectionOptions, type Job, type Queue, Worker } from 'bullmq';
import { type JobsConfig, blocklistEnabled } from '../config';
import { BullConnectionLog, bullConnection, closeBullConnection } from '../schedules/bull-connection';
import { BLOCKLIST_COMPILE, runOptions } from '../schedules/schedules.catalogue';
import { ScheduleMetrics } from '../schedules/schedules.metrics';
import { BLOCKLIST_QUEUE } from '../schedules/schedules.queue';
import type { BlocklistRunResult } from './blocklist-compile.processor';
import { BlocklistOrigin } from './blocklist-origin';
import { parseSigningKey, publicKeyBase64 } from './signing-key';

/** Deduplication id of the start-up run: replicas starting together enqueue one. */
const AT_START_ID = `${BLOCKLIST_COMPILE}:at-start`;

/**
 * The processor file BullMQ runs in a child process: the compiled `.js` in a build, and from source
 * a CommonJS shim that loads the `.ts` through swc's require hook (see the shim).
 */
export function processorFile(): string {
  return __filename.endsWith('.ts') ? join(__dirname, 'blocklist-compile.sandbox.cjs') : join(__dirname, 'blocklist-compile.processor.js');
}

/**
 * The `blocklist` queue's Worker, built from a processor *file* (a sandboxed processor: each run
 * in a child process), one run at a time per job-worker. Only where `BLOCKLIST_ORIGIN_DIR` is set.
 * With `BLOCKLIST_COMPILE_AT_START=if-missing` it also enqueues one run at start-up when nothing
 * is published yet (or what is, is signed with another key).
 */
@Injectable()
export class BlocklistCompileWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Blocklist');
  private readonly connectionLog = new BullConnectionLog('jobs-worker-blocklist');
  private worker?: Worker;
  private connection?: ConnectionOptions;

  constructor(
    @InjectConfig() private readonly config: JobsConfig,
    @InjectQueue(BLOCKLIST_QUEUE) private readonly queue: Queue,
    private readonly metrics: ScheduleMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const { config } = this;
    if (!blocklistEnabled(config)) {
      this.logger.log({ msg: 'blocklist.compile off: BLOCKLIST_ORIGIN_DIR is not set' });
      return;
    }
    this.logger.log({
      msg: 'blocklist.compile: the manifest is signed with this key; apps pin its public key',
      publicKey: publicKeyBase64(parseSigningKey(config.BLOCKLIST_SIGNING_KEY)),
      origin: resolve(config.BLOCKLIST_ORIGIN_DIR as string),
      source: config.BLOCKLIST_SOURCE_URL,
      schedule: config.SCHEDULE_BLOCKLIST_COMPILE,
    });
    this.connection = bullConnection(config.REDIS_URL);
    const worker = new Worker(BLOCKLIST_QUEUE, processorFile(), {
      connection: this.connection,
      prefix: config.JOBS_PREFIX,
      concurrency: 1,
      lockDuration: config.JOBS_LOCK_MS,
      stalledInterval: config.JOBS_LOCK_MS,
      maxStalledCount: 2,
    });
    this.connectionLog.watch(worker);
    worker.on('completed', (job: Job, result: BlocklistRunResult) => this.observe(job, result.duplicate ? 'duplicate' : 'done'));
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job) return;
      this.observe(job, 'failed');
      const attempts = job.opts.attempts ?? 1;
      const retrying = job.attemptsMade < attempts && error.name !== 'UnrecoverableError';
      this.logger.warn({ msg: retrying ? 'blocklist.compile failed, will retry' : 'blocklist.compile failed', jobId: job.id, attempt: job.attemptsMade, attempts, reason: error.message });
    });
    this.worker = worker;
    if (config.BLOCKLIST_COMPILE_AT_START === 'if-missing') {
      // Not awaited: start-up never waits on Redis (the run is enqueued once it is there).
      void this.compileIfMissing().catch((e: Error) => this.logger.warn({ msg: 'could not enqueue the start-up blocklist.compile', error: e.message }));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    if (this.connection) await closeBullConnection(this.connection);
  }

  /**
   * Enqueues one run when the origin has no latest.json, or one that does not verify under the
   * configured key (a rotated key: apps pinning the new key cannot use it). The job id, or null.
   */
  async compileIfMissing(): Promise<string | null> {
    const origin = new BlocklistOrigin(resolve(this.config.BLOCKLIST_ORIGIN_DIR as string));
    const latest = await origin.latest();
    if (latest !== null && this.signedWithOurKey(latest)) {
      this.logger.log({ msg: 'a blocklist signed with this key is published: no compile at start', version: latest.version });
      return null;
    }
    const job = await this.queue.add(BLOCKLIST_COMPILE, {}, { ...runOptions(this.config), deduplication: { id: AT_START_ID } });
    this.logger.log({ msg: latest ? 'the published blocklist is not signed with this key: blocklist.compile enqueued' : 'nothing published yet: blocklist.compile enqueued', jobId: job.id });
    return job.id ?? null;
  }

  private signedWithOurKey(manifest: unknown): boolean {
    try {
      verifyManifest(manifest, manifestPublicKey(parseSigningKey(this.config.BLOCKLIST_SIGNING_KEY)));
      return true;
    } catch {
      return false;
    }
  }

  private observe(job: Job, outcome: 'done' | 'duplicate' | 'failed'): void {
    if (job.processedOn && job.finishedOn) this.metrics.observeRun(BLOCKLIST_COMPILE, outcome, (job.finishedOn - job.processedOn) / 1000, BLOCKLIST_QUEUE);
  }
}
