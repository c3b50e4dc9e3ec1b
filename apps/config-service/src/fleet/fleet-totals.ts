import type { FleetReportRow } from '@phoenix/common';

/**
 * The fleet totals as config-service keeps them in Redis: one hash per UTC hour, one field per
 * location and counter (`de-fra:redemptions`). Plain functions, no IO: naming and parsing only.
 */

export const HOUR_MS = 3_600_000;

/** What a redemption ended in, as counted (the `FleetReportRow` counter each one adds to). */
export type RedemptionOutcome = 'success' | 'reused' | 'noCapacity' | 'invalid';

export const OUTCOME_COUNTER: Readonly<Record<RedemptionOutcome, 'redemptions' | 'reused' | 'noCapacity' | 'invalid'>> = {
  success: 'redemptions',
  reused: 'reused',
  noCapacity: 'noCapacity',
  invalid: 'invalid',
};

const COUNTERS = ['redemptions', 'reused', 'noCapacity', 'invalid', 'loadSum', 'loadSamples'] as const;
export type FleetCounter = (typeof COUNTERS)[number];

/** The start (epoch ms) of the UTC hour `ms` falls in. */
export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** The hour's part of its Redis key: `2026-11-30T10` for the hour starting at 10:00 UTC. */
export function hourLabel(hourStartMs: number): string {
  return new Date(hourStartMs).toISOString().slice(0, 13);
}

/** The hash field of one counter of one location. Location ids have no `:` (`LOCATION_ID`, or `auto`). */
export function counterField(location: string, counter: FleetCounter): string {
  return `${location}:${counter}`;
}

/**
 * The report rows of one hour from its hash (`HGETALL`): one row per location, every counter
 * present (0 when never counted). Fields that are not `<location>:<counter>` are ignored.
 */
export function rowsOfHour(hourStartMs: number, hash: Record<string, string>): FleetReportRow[] {
  const hour = new Date(hourStartMs).toISOString();
  const rows = new Map<string, FleetReportRow>();
  for (const [field, value] of Object.entries(hash)) {
    const at = field.lastIndexOf(':');
    const location = field.slice(0, at);
    const counter = field.slice(at + 1) as FleetCounter;
    if (at <= 0 || !COUNTERS.includes(counter)) continue;
    const n = Number(value);
    if (!Number.isFinite(n)) continue;
    let row = rows.get(location);
    if (!row) {
      row = { hour, location, redemptions: 0, reused: 0, noCapacity: 0, invalid: 0, loadSum: 0, loadSamples: 0 };
      rows.set(location, row);
    }
    row[counter] = n;
  }
  return [...rows.values()].sort((a, b) => a.location.localeCompare(b.location));
}
