import { ConfigOf, baseShape, env } from '@phoenix/common';
import { getNextMillis } from 'bullmq';
import { z } from 'zod';

/**
 * A schedule's cron pattern (5 fields, or 6 with leading seconds; evaluated in UTC), or `off` to
 * have no such schedule (the registrar removes it).
 */
function schedule(defaultPattern: string) {
  return z
    .string()
    .trim()
    .default(defaultPattern)
    .refine(
      (v) => {
        if (v === 'off') return true;
        if (!/^\S+( \S+){4,5}$/.test(v)) return false;
        try {
          return getNextMillis(Date.now(), { pattern: v, tz: 'UTC' }) !== undefined;
        } catch {
          return false;
        }
      },
      { message: 'must be a cron pattern (5 fields, or 6 with seconds first) or "off"' },
    );
}

/** job-worker environment: Redis (queues and the transport) only; never another side's database. */
export const configShape = {
  ...baseShape(3004),
  REDIS_URL: env.url(['redis:', 'rediss:']),
  ADMIN_TOKEN: env.secret('dev-admin-token-job-worker'),
  /**
   * BullMQ's key prefix: inside the jobs user's `jobs:` keys (README "Redis users") and ending in a
   * hash tag, so that every key of the queues lands in one slot of a Redis Cluster.
   */
  JOBS_PREFIX: z
    .string()
    .default('jobs:{sched}')
    .refine((v) => /^jobs:([A-Za-z0-9_.-]+:)*\{[A-Za-z0-9_.-]+\}$/.test(v), { message: 'must be jobs:…{tag} (e.g. jobs:{sched})' }),
  SCHEDULE_ISSUER_KEYS_ROTATE: schedule('0 * * * *'),
  SCHEDULE_LEASES_EXPIRE: schedule('* * * * *'),
  SCHEDULE_NODES_REAP: schedule('* * * * *'),
  SCHEDULE_BILLING_RECONCILE: schedule('20 * * * *'),
  SCHEDULE_TRIAL_ENDING: schedule('0 9 * * *'),
  // Off until analytics-service handles `analytics.retention` (the analytics issue): then `30 3 * * *`.
  SCHEDULE_ANALYTICS_RETENTION: schedule('off'),
  SCHEDULE_PROBE: schedule('off'),
  /** How long a command waits for its owner's reply before the run fails (and is retried). */
  JOBS_COMMAND_TIMEOUT_MS: env.int(60_000, 100, 3_600_000),
  /** Attempts per run (the first included), with exponential backoff from `JOBS_BACKOFF_MS`. */
  JOBS_ATTEMPTS: env.int(5, 1, 100),
  JOBS_BACKOFF_MS: env.int(5000, 10, 3_600_000),
  /**
   * A worker's lock on a running job; a job whose worker died is taken up again by another worker
   * after this long (BullMQ's stalled-job check runs as often).
   */
  JOBS_LOCK_MS: env.int(30_000, 1000, 600_000),
  /** Runs processed at once by one job-worker process. */
  JOBS_CONCURRENCY: env.int(4, 1, 64),
};

export type JobsConfig = ConfigOf<typeof configShape>;
