import { LOCATION_ID } from '@phoenix/common';
import { z } from 'zod';

/**
 * The client events of `POST /v1/events` (API.md "analytics-service"): one strict schema per type,
 * every value from a closed set or a bounded range, so that no field can carry an identifier. An
 * unknown type or field (`ip`, `userId`, `deviceId`, anything) fails the whole batch.
 */

export const PLATFORMS = ['ios', 'android', 'macos', 'windows', 'linux', 'web'] as const;
export const FAILURE_REASONS = ['handshake_timeout', 'token_rejected', 'no_capacity', 'network_unreachable', 'other'] as const;
export const DURATION_BUCKETS = ['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h'] as const;
export const TRANSFER_BUCKETS = ['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB'] as const;
export const EVENT_TYPES = ['connection', 'throughput', 'session', 'blocking'] as const;

export const MAX_EVENTS_PER_BATCH = 500;
const HOUR_MS = 3_600_000;
/** How far back `at` may be. */
export const MAX_EVENT_AGE_MS = 7 * 24 * HOUR_MS;
/** How far ahead of our clock `at` may be: a phone's clock a few minutes fast is not an error. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Semantic-version numbers (no leading zeros, at most 5 digits each); stored as MAJOR.MINOR. */
const APP_VERSION = /^(0|[1-9]\d{0,4})\.(0|[1-9]\d{0,4})(?:\.(?:0|[1-9]\d{0,4}))?$/;

const common = {
  platform: z.enum(PLATFORMS),
  appVersion: z.string().regex(APP_VERSION, { message: 'must be MAJOR.MINOR or MAJOR.MINOR.PATCH' }),
  // ISO 8601 with a zone (`Z` or an offset): a local time would be read in our zone, not the client's.
  at: z.iso.datetime({ offset: true }).optional(),
};
const location = z.string().regex(LOCATION_ID, { message: 'must be a location id' });
const int = (max: number) => z.number().int().min(0).max(max);
const num = (max: number) => z.number().min(0).max(max);

const connectionSuccess = z.strictObject({ type: z.literal('connection'), ...common, location, outcome: z.literal('success'), handshakeMs: int(60_000) });
const connectionFailure = z.strictObject({
  type: z.literal('connection'),
  ...common,
  location,
  outcome: z.literal('failure'),
  failureReason: z.enum(FAILURE_REASONS),
  handshakeMs: int(60_000).optional(),
});
const throughput = z.strictObject({ type: z.literal('throughput'), ...common, location, downMbps: num(100_000), upMbps: num(100_000) });
const session = z.strictObject({
  type: z.literal('session'),
  ...common,
  location,
  durationBucket: z.enum(DURATION_BUCKETS),
  transferBucket: z.enum(TRANSFER_BUCKETS),
});
const blocking = z.strictObject({ type: z.literal('blocking'), ...common, mbBlocked: num(100_000), requestsBlocked: int(10_000_000), timeSavedSec: int(86_400) });

const telemetryEvent = z.discriminatedUnion('type', [z.discriminatedUnion('outcome', [connectionSuccess, connectionFailure]), throughput, session, blocking]);
const eventBatch = z.strictObject({ events: z.array(telemetryEvent).min(1).max(MAX_EVENTS_PER_BATCH) });

export type TelemetryEvent = z.infer<typeof telemetryEvent>;

/**
 * The columns of ClickHouse's `telemetry` (infra/clickhouse/migrations/002_telemetry.sql) that a
 * queued row carries, in this order; the inserter appends `row_key`.
 */
export const QUEUED_COLUMNS = [
  'hour',
  'type',
  'platform',
  'app_version',
  'location',
  'outcome',
  'failure_reason',
  'handshake_ms',
  'down_mbps',
  'up_mbps',
  'duration_bucket',
  'transfer_bucket',
  'mb_blocked',
  'requests_blocked',
  'time_saved_sec',
] as const;

export type BatchResult = { ok: true; rows: string[] } | { ok: false; message: string };

const MAX_ISSUES_REPORTED = 5;

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

function failure(issues: string[]): BatchResult {
  const shown = issues.slice(0, MAX_ISSUES_REPORTED);
  const more = issues.length > shown.length ? `; and ${issues.length - shown.length} more` : '';
  return { ok: false, message: `${shown.join('; ')}${more}` };
}

/** The hour (unix seconds) an event is stored under, or why `at` is refused. */
function hourOf(at: string | undefined, nowMs: number): number | string {
  const ms = at === undefined ? nowMs : Date.parse(at);
  if (Number.isNaN(ms)) return 'is not a valid time';
  if (ms > nowMs + MAX_CLOCK_SKEW_MS) return 'is in the future';
  if (ms < nowMs - MAX_EVENT_AGE_MS) return 'is more than 7 days ago';
  return Math.floor(ms / HOUR_MS) * (HOUR_MS / 1000);
}

/**
 * One queued row: the event's `telemetry` columns ({@link QUEUED_COLUMNS}) as a TabSeparated line.
 * Every string comes from a closed set or a pattern without tabs, newlines or backslashes, so no
 * value needs escaping; a missing nullable is `\N`, other missing columns their type's default.
 */
function toRow(e: TelemetryEvent, hour: number): string {
  const [major, minor] = e.appVersion.split('.');
  const base = [String(hour), e.type, e.platform, `${major}.${minor}`];
  switch (e.type) {
    case 'connection':
      return [...base, e.location, e.outcome, e.outcome === 'failure' ? e.failureReason : '', e.handshakeMs === undefined ? '\\N' : String(e.handshakeMs), '0', '0', '', '', '0', '0', '0'].join('\t');
    case 'throughput':
      return [...base, e.location, '', '', '\\N', String(e.downMbps), String(e.upMbps), '', '', '0', '0', '0'].join('\t');
    case 'session':
      return [...base, e.location, '', '', '\\N', '0', '0', e.durationBucket, e.transferBucket, '0', '0', '0'].join('\t');
    case 'blocking':
      return [...base, '', '', '', '\\N', '0', '0', '', '', String(e.mbBlocked), String(e.requestsBlocked), String(e.timeSavedSec)].join('\t');
  }
}

/**
 * Validates a `POST /v1/events` body against the contract and normalises it (the hour of `at`,
 * or of `nowMs` when absent; `appVersion` cut to MAJOR.MINOR) into queued rows — all or nothing.
 */
export function parseEventBatch(body: unknown, nowMs: number): BatchResult {
  const parsed = eventBatch.safeParse(body);
  if (!parsed.success) return failure(parsed.error.issues.map((i) => `${pathOf(i.path) || 'body'}: ${i.message}`));
  const issues: string[] = [];
  const rows: string[] = [];
  parsed.data.events.forEach((e, i) => {
    const hour = hourOf(e.at, nowMs);
    if (typeof hour === 'string') issues.push(`events[${i}].at: ${hour}`);
    else rows.push(toRow(e, hour));
  });
  return issues.length > 0 ? failure(issues) : { ok: true, rows };
}
