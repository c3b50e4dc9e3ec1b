import { AppError, ErrorCode } from '@phoenix/common';

/** The longest window a stats query may span, both ends included (API.md). */
export const MAX_WINDOW_DAYS = 92;

const DAY_SECONDS = 86_400;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// ClickHouse's DateTime is unsigned 32-bit seconds (to 2106-02-07): whole years inside it only.
const LAST_DAY_SEC = Date.UTC(2105, 11, 31) / 1000;

/**
 * A stats window: whole UTC days from `from` to `to`, both included. Only dates are accepted, never
 * times: a window can only grow or shrink by whole days, so narrowing it cannot cut a small group
 * out of a cell (issue 13, k-anonymity).
 */
export interface StatsWindow {
  from: string;
  to: string;
  /** Unix seconds of `from` 00:00 UTC. */
  startSec: number;
  /** Unix seconds of the day after `to`, 00:00 UTC (exclusive end). */
  endSec: number;
}

function invalid(message: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, message);
}

/** Unix seconds of a `YYYY-MM-DD` calendar date at 00:00 UTC, or null when it is no real date. */
function dayStart(value: string): number | null {
  const m = DATE.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: a date that does not come back unchanged is no date.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / 1000;
}

/**
 * The window of a `GET /v1/stats/:panel` query string: exactly `from` and `to`, each one
 * `YYYY-MM-DD` calendar date, `from` ≤ `to`, at most {@link MAX_WINDOW_DAYS} days. Anything else
 * (missing, repeated, extra parameters, a time of day, 2026-02-30) is `400 VALIDATION_FAILED`.
 * Dates whose instants ClickHouse's `DateTime` cannot hold (before 1970, after 2105) are refused too.
 */
export function parseStatsWindow(query: Record<string, unknown>): StatsWindow {
  const extra = Object.keys(query).filter((k) => k !== 'from' && k !== 'to');
  if (extra.length > 0) throw invalid(`unknown query parameter: ${extra.sort().join(', ')}`);
  const { from, to } = query;
  if (typeof from !== 'string' || typeof to !== 'string') throw invalid('from and to are required, once each, as YYYY-MM-DD');
  const startSec = dayStart(from);
  const toStart = dayStart(to);
  if (startSec === null) throw invalid('from must be a date, YYYY-MM-DD');
  if (toStart === null) throw invalid('to must be a date, YYYY-MM-DD');
  if (startSec < 0 || toStart > LAST_DAY_SEC) throw invalid('from and to must lie between 1970-01-01 and 2105-12-31');
  if (toStart < startSec) throw invalid('from must not be after to');
  const days = (toStart - startSec) / DAY_SECONDS + 1;
  if (days > MAX_WINDOW_DAYS) throw invalid(`the window spans ${days} days; at most ${MAX_WINDOW_DAYS}`);
  return { from, to, startSec, endSec: toStart + DAY_SECONDS };
}
