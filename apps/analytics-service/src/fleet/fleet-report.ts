import { FleetReport, LOCATION_ID } from '@phoenix/common';
import { z } from 'zod';

/**
 * `analytics.fleet.report` (config-service → analytics-service; `FleetReport` in
 * libs/common/src/transport/patterns.ts) as this service accepts it: exactly the fields of the
 * type, counts as non-negative integers, whole UTC hours that config-service can be reporting now
 * (the current one or the one before, with room for clocks that disagree), locations that look
 * like location ids (or `auto`, config-service's bucket for a redemption not tied to one). A
 * report with anything else is dropped whole: it did not come from config-service as written, and
 * no field may carry anything but a count.
 */

const HOUR_MS = 3_600_000;
/** Oldest hour a report may carry: config-service sends the current and the previous one. */
export const MAX_REPORT_HOUR_AGE_MS = 48 * HOUR_MS;
/** How far ahead of our clock a report's hours and version may be (another machine's clock). */
export const MAX_REPORT_CLOCK_SKEW_MS = 15 * 60_000;
/** Rows per report: two hours of every location, with a wide margin. */
export const MAX_REPORT_ROWS = 10_000;
/** A node's load is 0-100 per sample (API.md pulse), so a sum is at most 100 × its samples. */
const MAX_LOAD = 100;

const HOUR = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const row = z
  .strictObject({
    hour: z
      .string()
      .regex(HOUR, { message: 'must be the start of a UTC hour (YYYY-MM-DDTHH:00:00.000Z)' })
      .refine((v) => new Date(v).toISOString() === v, { message: 'must be a real hour' }),
    location: z.union([z.literal('auto'), z.string().regex(LOCATION_ID, { message: 'must be a location id or auto' })]),
    redemptions: count,
    reused: count,
    noCapacity: count,
    invalid: count,
    loadSum: z.number().min(0),
    loadSamples: count,
  })
  // Relative tolerance for the float sum of the samples (Redis HINCRBYFLOAT).
  .refine((r) => r.loadSum <= r.loadSamples * MAX_LOAD * (1 + 1e-9), { message: 'loadSum exceeds 100 per sample', path: ['loadSum'] });

const report = z.strictObject({
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  rows: z.array(row).min(1).max(MAX_REPORT_ROWS),
});

export type ParsedReport = { ok: true; report: FleetReport } | { ok: false; problems: string[] };

/** At most this many problems are reported per dropped report, each at most 200 characters. */
const MAX_PROBLEMS = 5;

/**
 * Checks a report received at `nowMs` against the rules above.
 * @returns the report, or the reasons it is dropped (paths and messages, never the values sent)
 */
export function parseFleetReport(data: unknown, nowMs: number): ParsedReport {
  const parsed = report.safeParse(data);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.slice(0, MAX_PROBLEMS).map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`.slice(0, 200)) };
  }
  const r = parsed.data;
  const problems: string[] = [];
  if (r.version > nowMs + MAX_REPORT_CLOCK_SKEW_MS) problems.push('version: is in the future');
  const seen = new Set<string>();
  r.rows.forEach((x, i) => {
    const hour = Date.parse(x.hour);
    if (hour > nowMs + MAX_REPORT_CLOCK_SKEW_MS) problems.push(`rows.${i}.hour: is in the future`);
    else if (hour < nowMs - MAX_REPORT_HOUR_AGE_MS) problems.push(`rows.${i}.hour: is older than config-service reports`);
    // Totals are read after their hour began.
    if (r.version < hour) problems.push(`rows.${i}.hour: is after the report's version`);
    const key = `${x.hour} ${x.location}`;
    if (seen.has(key)) problems.push(`rows.${i}: the same hour and location twice`);
    seen.add(key);
  });
  return problems.length ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) } : { ok: true, report: r };
}
