import type { TenantUsageQueryReply } from '@phoenix/common';

/** A day of a tenant's usage as analytics-service answers it. */
export type UsageDay = TenantUsageQueryReply['rows'][number];

/** A row of `GET /api/v1/usage` (API.md "B2B tenants"). */
export interface UsageRow {
  day: string;
  connections: number;
  connectionHours: number;
  gigabytes: number;
}

/** Rounded to 6 decimals (API.md: connectionHours and gigabytes). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Connection seconds as hours, bytes as (decimal) gigabytes, each rounded to 6 decimals. */
export const connectionHours = (seconds: number): number => round6(seconds / 3600);
export const gigabytes = (bytes: number): number => round6(bytes / 1e9);

/**
 * The API's rows from analytics-service's days: one per day that has data, inside `from`..`to`,
 * ordered by day (analytics-service answers so already; kept so here whatever it sends).
 */
export function usageRows(days: UsageDay[], from: string, to: string): UsageRow[] {
  return days
    .filter((d) => d.day >= from && d.day <= to)
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
    .map((d) => ({ day: d.day, connections: d.connections, connectionHours: connectionHours(d.connectionSeconds), gigabytes: gigabytes(d.bytes) }));
}

/** A month the usage report bills: `YYYY-MM`, its first and last day. */
export interface BilledMonth {
  month: string;
  from: string;
  to: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The calendar month (UTC) before the one a scheduled run is due in: its `period` (ISO 8601), or
 * `now` for a run on demand (`manual:<job id>`) or a period that is no time.
 */
export function previousMonth(period: string, now: Date): BilledMonth {
  const due = /^\d{4}-\d{2}-\d{2}T/.test(period) && !Number.isNaN(Date.parse(period)) ? new Date(period) : now;
  const first = new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth(), 0));
  const ymd = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return { month: ymd(first).slice(0, 7), from: ymd(first), to: ymd(last) };
}

/** The metrics the report sends, by the name used in identifiers and in `tenant_usage_reports`. */
export type Metric = 'connections' | 'connection_hours' | 'gigabytes';

/** A month's totals per metric (hours and gigabytes from the summed seconds and bytes, 6 decimals). */
export function monthTotals(days: UsageDay[]): Record<Metric, number> {
  const sum = (f: (d: UsageDay) => number) => days.reduce((s, d) => s + f(d), 0);
  return { connections: sum((d) => d.connections), connection_hours: connectionHours(sum((d) => d.connectionSeconds)), gigabytes: gigabytes(sum((d) => d.bytes)) };
}

/**
 * A meter event's `value`: a plain decimal string, never exponent notation, with at most 6 decimals
 * and at most 15 significant digits (Stripe refuses more: they would not survive its doubles).
 */
export function meterValue(x: number): string {
  const intDigits = Math.abs(x) < 1 ? 1 : Math.floor(Math.log10(Math.abs(x))) + 1;
  const s = x.toFixed(Math.max(0, Math.min(6, 15 - intDigits))).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  return /^-?0$/.test(s) ? '0' : s;
}
