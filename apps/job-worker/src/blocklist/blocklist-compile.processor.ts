// The sandboxed processor of the `blocklist` queue: BullMQ runs this file's default export in a
// child process (README "Sandboxed jobs"), so parsing and hashing ~90,000 names never holds up the
// event loop that renews the workers' locks. The child reads the same environment as job-worker
// and connects to Redis as the jobs user for the period markers and the publisher lock.
import { BlocklistCompiler, type CompileResult, SourceRefusedError } from './blocklist-compiler';
import { BlocklistOrigin } from './blocklist-origin';
import type { ConditionalHeaders, SourceFetch } from './blocklist-source';
import { parseSigningKey } from './signing-key';
import { pinoOptions, type RedisClient } from '@phoenix/common';
import { acquireRedisLock, createRedis, waitForRedis } from '@phoenix/database';
import { type Job, type SandboxedJob, UnrecoverableError } from 'bullmq';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { type JobsConfig, loadJobsConfig } from '../config';
import { ScheduleRunsStore } from '../schedules/schedule-runs.store';
import { BLOCKLIST_COMPILE } from '../schedules/schedules.catalogue';
import { periodOf } from '../schedules/schedules.processor';

/** One compile publishes at a time across every job-worker; longer than any compile takes. */
const PUBLISHER_LOCK_MS = 5 * 60_000;

/** A run's return value (the job's in Bull Board). */
export type BlocklistRunResult = { schedule: typeof BLOCKLIST_COMPILE; period: string; pid: number } & (
  | ({ duplicate?: undefined } & CompileResult)
  | { duplicate: true }
);

export interface BlocklistRunDeps {
  config: JobsConfig;
  /** The jobs user's Redis (period markers, the publisher lock). */
  redis: RedisClient;
  logger: Logger;
  nowMs?: () => number;
  fetch?: (url: string, previous: ConditionalHeaders | null) => Promise<SourceFetch>;
}

type RunnableJob = Pick<Job, 'id' | 'name' | 'attemptsMade'> & { log?: (row: string) => unknown };

/**
 * One run of `blocklist.compile` for the job's period: nothing when the period is done already
 * (like every schedule, README "Exactly one run per period"), else a compile under the publisher
 * lock, and the period marked done once it published or found the source unchanged.
 *
 * @throws {UnrecoverableError} for a job of another name, or a refused source (the published
 *   filter stays; retrying the same source would be refused again — the next period tries anew)
 * @throws Error when the source cannot be fetched or another compile holds the lock (retried)
 */
export async function runBlocklistCompile(job: RunnableJob, deps: BlocklistRunDeps): Promise<BlocklistRunResult> {
  const { config, redis, logger } = deps;
  if (job.name !== BLOCKLIST_COMPILE) throw new UnrecoverableError(`the blocklist queue runs ${BLOCKLIST_COMPILE} only, not ${job.name}`);
  if (config.BLOCKLIST_ORIGIN_DIR === undefined) throw new UnrecoverableError('BLOCKLIST_ORIGIN_DIR is not set: this job-worker publishes no blocklist');
  const period = periodOf(job);
  const base = { schedule: BLOCKLIST_COMPILE, period, pid: process.pid } as const;
  const runs = new ScheduleRunsStore(redis, config);
  if ((await runs.completed(BLOCKLIST_COMPILE, period)) !== null) {
    logger.info({ msg: 'period already ran, nothing done', schedule: BLOCKLIST_COMPILE, period, jobId: job.id });
    return { ...base, duplicate: true };
  }
  const release = await acquireRedisLock(redis, `${config.JOBS_PREFIX}:blocklist-publisher`, PUBLISHER_LOCK_MS);
  if (!release) throw new Error('another blocklist.compile is publishing: retried later');
  try {
    const compiler = new BlocklistCompiler(
      {
        sourceUrl: config.BLOCKLIST_SOURCE_URL,
        secretKey: parseSigningKey(config.BLOCKLIST_SIGNING_KEY),
        falsePositiveRate: config.BLOCKLIST_FALSE_POSITIVE_RATE,
        maxShrink: config.BLOCKLIST_MAX_SHRINK,
        maxInvalid: config.BLOCKLIST_MAX_INVALID,
      },
      { origin: new BlocklistOrigin(resolve(config.BLOCKLIST_ORIGIN_DIR), config.BLOCKLIST_KEEP_VERSIONS), nowMs: deps.nowMs ?? Date.now, fetch: deps.fetch },
    );
    let result: CompileResult;
    try {
      result = await compiler.compile();
    } catch (error) {
      if (error instanceof SourceRefusedError) {
        logger.warn({ msg: 'blocklist source refused', schedule: BLOCKLIST_COMPILE, period, reason: error.reason, error: error.message });
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
    await runs.markCompleted(BLOCKLIST_COMPILE, period, result, deps.nowMs?.() ?? Date.now());
    const line = result.outcome === 'published' ? `published version ${result.version}: ${result.domains} domains, ${result.size} bytes (${result.file})` : `unchanged (${result.reason}): version ${result.version} stays`;
    logger.info({ msg: `blocklist ${line}`, schedule: BLOCKLIST_COMPILE, period, attempt: job.attemptsMade + 1 });
    await job.log?.(line);
    return { ...base, ...result };
  } finally {
    await release();
  }
}

/** BullMQ's entry point in the child process: a Redis connection per run, closed after it. */
export default async function blocklistCompileProcessor(job: SandboxedJob): Promise<BlocklistRunResult> {
  const config = loadJobsConfig();
  const logger = pino(pinoOptions('job-worker', config.LOG_LEVEL));
  const redis = createRedis(config.REDIS_URL, 'blocklist-compile');
  try {
    await waitForRedis(redis, 10_000);
    return await runBlocklistCompile(job as unknown as RunnableJob, { config, redis, logger });
  } finally {
    redis.disconnect();
  }
}
