import { ConfigOf, ConfigRules, baseShape, env, loadConfig } from '@phoenix/common';
import { getNextMillis } from 'bullmq';
import { z } from 'zod';
import { DEV_BLOCKLIST_SIGNING_KEY, parseSigningKey } from './blocklist/signing-key';

/** The StevenBlack unified hosts list (seed 001), the production source. */
export const DEFAULT_BLOCKLIST_SOURCE_URL = 'https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts';

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

/** A number from 0 to 1. */
function fraction(defaultValue: number) {
  return z.coerce.number().min(0).max(1).default(defaultValue);
}

/** job-worker environment: Redis (queues and the transport) only; never another side's database. */
export const configShape = {
  ...baseShape(3004),
  REDIS_URL: env.redisUrl(),
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
  SCHEDULE_FLEET_REPORT: schedule('* * * * *'),
  SCHEDULE_TENANT_USAGE_BILLING: schedule('0 5 1 * *'),
  SCHEDULE_BILLING_RECONCILE: schedule('20 * * * *'),
  SCHEDULE_TRIAL_ENDING: schedule('0 9 * * *'),
  SCHEDULE_ANALYTICS_RETENTION: schedule('30 3 * * *'),
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
  // ---- blocklist.compile (a sandboxed job of job-worker itself; README "Blocklist").
  SCHEDULE_BLOCKLIST_COMPILE: schedule('15 4 * * *'),
  /**
   * The CDN origin directory the filter is published into (served as `BLOCKLIST_PUBLIC_URL`).
   * Unset: job-worker compiles no blocklist (no schedule, no worker; refused in production unless
   * the schedule is `off`).
   */
  BLOCKLIST_ORIGIN_DIR: z.string().trim().min(1).optional(),
  /** The hosts list compiled (fetched with If-None-Match / If-Modified-Since). */
  BLOCKLIST_SOURCE_URL: env.url(['http:', 'https:']).default(DEFAULT_BLOCKLIST_SOURCE_URL),
  /**
   * The Ed25519 private key (32-byte seed, 64 hex digits or base64) the manifest is signed with;
   * apps pin its public key. `dev-<key>` marks a development key, refused in production.
   */
  BLOCKLIST_SIGNING_KEY: env.secret(DEV_BLOCKLIST_SIGNING_KEY),
  /** The target false-positive rate p the filter is sized for. */
  BLOCKLIST_FALSE_POSITIVE_RATE: fraction(1e-6).refine((v) => v > 0 && v < 1, { message: 'must be above 0 and below 1' }),
  /** A source listing fewer domains than (1 − this) × the published count is refused. */
  BLOCKLIST_MAX_SHRINK: fraction(0.2),
  /** A source whose refused entries exceed this fraction of its entries is refused (not a hosts list). */
  BLOCKLIST_MAX_INVALID: fraction(0.01),
  /** Versions (manifest + filter) kept published. */
  BLOCKLIST_KEEP_VERSIONS: env.int(5, 1, 100),
  /**
   * `if-missing`: at start-up, enqueue one compile when nothing is published yet, or what is does
   * not verify under BLOCKLIST_SIGNING_KEY (a rotated key). `npm run platform` sets it.
   */
  BLOCKLIST_COMPILE_AT_START: z.enum(['if-missing', 'off']).default('off'),
};

export type JobsConfig = ConfigOf<typeof configShape>;

/** Rules across variables: the signing key must be a key; production must say where to publish. */
export const jobsConfigRules: ConfigRules<JobsConfig> = (config) => {
  const problems: string[] = [];
  try {
    parseSigningKey(config.BLOCKLIST_SIGNING_KEY);
  } catch (error) {
    problems.push(`BLOCKLIST_SIGNING_KEY: ${(error as Error).message}`);
  }
  if (config.NODE_ENV === 'production' && config.SCHEDULE_BLOCKLIST_COMPILE !== 'off' && config.BLOCKLIST_ORIGIN_DIR === undefined) {
    problems.push('BLOCKLIST_ORIGIN_DIR: is required in production (or SCHEDULE_BLOCKLIST_COMPILE=off)');
  }
  return problems;
};

/**
 * Parses the environment against the shape and {@link jobsConfigRules} (job-worker's main and its
 * sandboxed processors, which read the same environment).
 * @throws ConfigError naming every bad variable
 */
export function loadJobsConfig(source: NodeJS.ProcessEnv = process.env): JobsConfig {
  return loadConfig(configShape, source, jobsConfigRules);
}

/** Whether this job-worker compiles and publishes the blocklist (it has an origin to publish into). */
export function blocklistEnabled(config: Pick<JobsConfig, 'BLOCKLIST_ORIGIN_DIR'>): boolean {
  return config.BLOCKLIST_ORIGIN_DIR !== undefined;
}
