import { TenantUsageReport } from '@phoenix/common';
import { z } from 'zod';

/**
 * `analytics.tenant.usage` (config-service → analytics-service; `TenantUsageReport` in
 * libs/common/src/transport/patterns.ts) as this service accepts it: exactly the fields of the
 * type — a UTC day, a tenant id (a lowercase UUID), three non-negative integer totals — for days
 * config-service can still be reporting (it keeps a day 40 days; a late lease end re-reports an
 * older one), with a version (read time) not before the day began. Anything else drops the whole
 * report: it did not come from config-service as written, and no field may carry anything but a
 * tenant id, a day or a number.
 */

const DAY_MS = 86_400_000;
/** Oldest day a report may carry: config-service keeps a day's totals 40 days after it ends. */
export const MAX_USAGE_DAY_AGE_MS = 42 * DAY_MS;
/** How far ahead of our clock a report's days and version may be (another machine's clock). */
export const MAX_USAGE_CLOCK_SKEW_MS = 15 * 60_000;
/** Rows per message: config-service sends at most 1,000; a wide margin. */
export const MAX_USAGE_ROWS = 5000;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const row = z.strictObject({
  day: z
    .string()
    .regex(DAY, { message: 'must be a UTC day (YYYY-MM-DD)' })
    .refine((v) => !Number.isNaN(Date.parse(v)) && new Date(v).toISOString().slice(0, 10) === v, { message: 'must be a real day' }),
  tenantId: z.string().regex(TENANT_ID, { message: 'must be a tenant id (lowercase UUID)' }),
  connections: count,
  connectionSeconds: count,
  bytes: count,
});

const report = z.strictObject({
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  rows: z.array(row).min(1).max(MAX_USAGE_ROWS),
});

export type ParsedUsageReport = { ok: true; report: TenantUsageReport } | { ok: false; problems: string[] };

/** At most this many problems are reported per dropped report, each at most 200 characters. */
const MAX_PROBLEMS = 5;

/**
 * Checks a report received at `nowMs` against the rules above.
 * @returns the report, or the reasons it is dropped (paths and messages, never the values sent)
 */
export function parseTenantUsageReport(data: unknown, nowMs: number): ParsedUsageReport {
  const parsed = report.safeParse(data);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.slice(0, MAX_PROBLEMS).map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`.slice(0, 200)) };
  }
  const r = parsed.data;
  const problems: string[] = [];
  if (r.version > nowMs + MAX_USAGE_CLOCK_SKEW_MS) problems.push('version: is in the future');
  const seen = new Set<string>();
  r.rows.forEach((x, i) => {
    const day = Date.parse(x.day);
    if (day > nowMs + MAX_USAGE_CLOCK_SKEW_MS) problems.push(`rows.${i}.day: is in the future`);
    else if (day < nowMs - MAX_USAGE_DAY_AGE_MS) problems.push(`rows.${i}.day: is older than config-service reports`);
    // Totals are read after their day began.
    if (r.version < day) problems.push(`rows.${i}.day: is after the report's version`);
    const key = `${x.day} ${x.tenantId}`;
    if (seen.has(key)) problems.push(`rows.${i}: the same day and tenant twice`);
    seen.add(key);
  });
  return problems.length ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) } : { ok: true, report: r };
}
