/** The tables retention applies to, both partitioned by `toYYYYMM(hour)` (infra/clickhouse/migrations). */
export const RETAINED_TABLES = ['telemetry', 'fleet_hourly'] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

/** One active partition of a table, as system.parts lists it. */
export interface Partition {
  table: string;
  /** `YYYYMM` for a `toYYYYMM` partition key. */
  id: string;
  rows: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MONTH_ID = /^(\d{4})(0[1-9]|1[0-2])$/;

/**
 * The start (ms) of the newest hour a monthly partition can hold: the month's last hour (UTC, the
 * time zone ClickHouse's `toYYYYMM` is evaluated in here); undefined for an id that is no month.
 */
export function newestHourOf(partitionId: string): number | undefined {
  const m = MONTH_ID.exec(partitionId);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]), 1) - HOUR_MS;
}

/** Hours that started before this instant are past retention. */
export function retentionCutoff(nowMs: number, retentionDays: number): number {
  return nowMs - retentionDays * DAY_MS;
}

/**
 * The partitions to drop: those whose newest possible hour started before the cutoff, so that every
 * row they can hold is past retention. A month is dropped whole, so its oldest rows are kept up to a
 * month longer than `retentionDays` (plus the time to the next daily run); none is dropped early.
 */
export function expiredPartitions<P extends Partition>(partitions: readonly P[], nowMs: number, retentionDays: number): P[] {
  const cutoff = retentionCutoff(nowMs, retentionDays);
  return partitions.filter((p) => {
    const newest = newestHourOf(p.id);
    return newest !== undefined && newest < cutoff;
  });
}
