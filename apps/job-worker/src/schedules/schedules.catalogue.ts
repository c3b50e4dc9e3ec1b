import { createHash } from 'node:crypto';
import { Pattern, Patterns } from '@phoenix/common';
import { type JobsConfig, blocklistEnabled } from '../config';
import { BLOCKLIST_QUEUE, type QueueName, SCHEDULES_QUEUE } from './schedules.queue';

/** job-worker's own job: compile, sign and publish the blocklist (README "Blocklist"). */
export const BLOCKLIST_COMPILE = 'blocklist.compile';

/**
 * Every schedule job-worker can run. Most are a command over the Redis transport to the service
 * that owns the data (job-worker holds no database credentials): the schedule's id is the command's
 * pattern, the job's name in Bull Board, and the `schedule` label of its metrics.
 *
 * CPU-heavy work is not a command: it runs here, in a sandboxed processor (BullMQ runs a processor
 * *file* in a child process, so a long computation cannot starve the worker's lock renewal). Such
 * a schedule has a queue of its own beside `schedules`, with a Worker built from that file, and
 * the same period markers (README "Sandboxed jobs"): `blocklist.compile` in `blocklist`.
 */
export type ScheduleDefinition = (
  // A command to the owner of the data.
  | { id: Pattern; queue: typeof SCHEDULES_QUEUE }
  // A sandboxed job of job-worker's own, in a queue of its own.
  | { id: typeof BLOCKLIST_COMPILE; queue: typeof BLOCKLIST_QUEUE }
) & {
  /** The variable holding its cron pattern or `off`. */
  env: keyof JobsConfig & `SCHEDULE_${string}`;
  summary: string;
  /** When set, the schedule exists only where this holds (as if `off` elsewhere). */
  enabled?: (config: JobsConfig) => boolean;
};

export const SCHEDULES: readonly ScheduleDefinition[] = [
  { id: Patterns.ISSUER_ROTATE, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_ISSUER_KEYS_ROTATE', summary: 'auth-service creates and pre-publishes the next issuer key, retires old ones' },
  { id: Patterns.LEASES_EXPIRE, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_LEASES_EXPIRE', summary: 'config-service deletes expired leases and tells their nodes' },
  { id: Patterns.NODES_REAP, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_NODES_REAP', summary: 'config-service marks silent nodes dead, decommissions them after the grace, and ephemeral nodes at 24 h or when silent' },
  { id: Patterns.FLEET_REPORT, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_FLEET_REPORT', summary: 'config-service sends the fleet totals and tenant usage to analytics-service' },
  { id: Patterns.BILLING_RECONCILE, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_BILLING_RECONCILE', summary: 'auth-service re-reads stale subscriptions from Stripe' },
  { id: Patterns.TENANT_USAGE_BILLING, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_TENANT_USAGE_BILLING', summary: "auth-service reports each billed tenant's previous month to Stripe as meter events, once" },
  { id: Patterns.TRIAL_ENDING, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_TRIAL_ENDING', summary: 'auth-service enqueues the notice of each trial ending soon' },
  { id: Patterns.ANALYTICS_RETENTION, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_ANALYTICS_RETENTION', summary: 'analytics-service drops partitions past the retention period' },
  { id: Patterns.JOBS_PROBE, queue: SCHEDULES_QUEUE, env: 'SCHEDULE_PROBE', summary: 'no owner: a listener of your own counts the runs (off by default)' },
  {
    id: BLOCKLIST_COMPILE,
    queue: BLOCKLIST_QUEUE,
    env: 'SCHEDULE_BLOCKLIST_COMPILE',
    summary: 'job-worker itself, sandboxed: fetches the hosts list, builds, signs and publishes the filter (only with BLOCKLIST_ORIGIN_DIR)',
    enabled: blocklistEnabled,
  },
];

const BY_ID = new Map<string, ScheduleDefinition>(SCHEDULES.map((s) => [s.id, s]));

/** The definition of `id`, or undefined for a name that is no schedule of ours. */
export function scheduleDefinition(id: string): ScheduleDefinition | undefined {
  return BY_ID.get(id);
}

const DAY_SEC = 24 * 3600;
/** How long completed and failed runs stay listed (Bull Board), and how long a period stays marked done. */
export const RUN_RETENTION_SEC = 7 * DAY_SEC;

/** A schedule as the registrar puts it into BullMQ. */
export interface DesiredSchedule {
  id: string;
  queue: QueueName;
  pattern: string;
  tz: 'UTC';
  template: {
    name: string;
    data: { schedule: string; fingerprint: string };
    opts: {
      attempts: number;
      backoff: { type: 'exponential'; delay: number };
      removeOnComplete: { age: number; count: number };
      removeOnFail: { age: number };
    };
  };
}

/** A hash of everything the registrar sets: equal fingerprints mean there is nothing to update. */
function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The options of every run: retries with backoff, and how long runs stay listed. */
export function runOptions(config: JobsConfig): DesiredSchedule['template']['opts'] {
  return {
    attempts: config.JOBS_ATTEMPTS,
    backoff: { type: 'exponential' as const, delay: config.JOBS_BACKOFF_MS },
    removeOnComplete: { age: RUN_RETENTION_SEC, count: 1000 },
    removeOnFail: { age: RUN_RETENTION_SEC },
  };
}

/** The schedules `config` asks for (those not `off`, and enabled), each with its queue and job template. */
export function desiredSchedules(config: JobsConfig): DesiredSchedule[] {
  const opts = runOptions(config);
  return SCHEDULES.filter((s) => config[s.env] !== 'off' && (s.enabled?.(config) ?? true)).map((s) => {
    const pattern = config[s.env];
    return {
      id: s.id,
      queue: s.queue,
      pattern,
      tz: 'UTC',
      template: { name: s.id, data: { schedule: s.id, fingerprint: fingerprint([pattern, 'UTC', s.id, opts]) }, opts },
    };
  });
}

/** A schedule as BullMQ lists it (`Queue.getJobSchedulers`). */
interface ExistingSchedule {
  key: string;
  pattern?: string;
  tz?: string;
  fingerprint?: unknown;
}

export interface SchedulePlan {
  /** Schedules that should not exist. */
  remove: string[];
  /** New or changed schedules. */
  upsert: DesiredSchedule[];
  /** Schedules already as desired: left alone, so their next run is not disturbed. */
  unchanged: string[];
}

/** What the registrar must do to turn `existing` into `desired`. */
export function planSchedules(existing: ExistingSchedule[], desired: DesiredSchedule[]): SchedulePlan {
  const wanted = new Map(desired.map((d) => [d.id, d]));
  const have = new Map(existing.map((e) => [e.key, e]));
  const plan: SchedulePlan = { remove: [], upsert: [], unchanged: [] };
  for (const e of existing) if (!wanted.has(e.key)) plan.remove.push(e.key);
  for (const d of desired) {
    const e = have.get(d.id);
    if (e && e.pattern === d.pattern && e.tz === d.tz && e.fingerprint === d.template.data.fingerprint) plan.unchanged.push(d.id);
    else plan.upsert.push(d);
  }
  return plan;
}
