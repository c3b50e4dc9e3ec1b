/** A range of whole UTC days, both ends included, as `YYYY-MM-DD` calendar dates. */
export interface DayRange {
  from: string;
  to: string;
  /** Days in the range, both ends counted (1 when from = to). */
  days: number;
}

export type DayRangeResult = ({ ok: true } & DayRange) | { ok: false; problem: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
// ClickHouse's Date (UInt16 days since 1970) and DateTime (to 2106-02-07): whole years inside both.
const FIRST_DAY_MS = 0;
const LAST_DAY_MS = Date.UTC(2105, 11, 31);

/** Milliseconds of a `YYYY-MM-DD` calendar date at 00:00 UTC, or null when it is no real date. */
export function utcDayStart(value: string): number | null {
  const m = DATE.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: a date that does not come back unchanged is no date.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

/**
 * Checks `from` and `to` as a range of whole UTC days: each a `YYYY-MM-DD` calendar date between
 * 1970-01-01 and 2105-12-31 (what ClickHouse's `Date` holds), `from` ≤ `to`, at most `maxDays` days
 * both ends included. Pure: the caller turns a problem into its own error (`400`, an error reply).
 */
export function parseDayRange(from: unknown, to: unknown, maxDays: number): DayRangeResult {
  if (typeof from !== 'string' || typeof to !== 'string') return { ok: false, problem: 'from and to are required, once each, as YYYY-MM-DD' };
  const start = utcDayStart(from);
  const end = utcDayStart(to);
  if (start === null) return { ok: false, problem: 'from must be a date, YYYY-MM-DD' };
  if (end === null) return { ok: false, problem: 'to must be a date, YYYY-MM-DD' };
  if (start < FIRST_DAY_MS || end > LAST_DAY_MS) return { ok: false, problem: 'from and to must lie between 1970-01-01 and 2105-12-31' };
  if (end < start) return { ok: false, problem: 'from must not be after to' };
  const days = (end - start) / DAY_MS + 1;
  if (days > maxDays) return { ok: false, problem: `the range spans ${days} days; at most ${maxDays}` };
  return { ok: true, from, to, days };
}
