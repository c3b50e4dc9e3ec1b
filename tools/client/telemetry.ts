// `telemetry`: a realistic mix of the anonymous events an app sends to analytics-service
// (API.md "analytics-service", POST /v1/events), for trying the ingest and the dashboards locally.
// Nothing in an event names a user, a device, a session or an address: only coarse, bounded values.

export const PLATFORMS = ['ios', 'android', 'macos', 'windows', 'linux', 'web'] as const;
export const FAILURE_REASONS = ['handshake_timeout', 'token_rejected', 'no_capacity', 'network_unreachable', 'other'] as const;
export const DURATION_BUCKETS = ['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h'] as const;
export const TRANSFER_BUCKETS = ['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB'] as const;

/** API.md: 1 to 500 events per `POST /v1/events`. */
export const MAX_EVENTS_PER_BATCH = 500;
export const DEFAULT_EVENT_COUNT = 2000;
export const MAX_EVENT_COUNT = 100_000;

type Platform = (typeof PLATFORMS)[number];
type FailureReason = (typeof FAILURE_REASONS)[number];
type DurationBucket = (typeof DURATION_BUCKETS)[number];
type TransferBucket = (typeof TRANSFER_BUCKETS)[number];
interface Common {
  platform: Platform;
  appVersion: string;
  at: string;
}
export type TelemetryEvent =
  | (Common & { type: 'connection'; location: string; outcome: 'success'; handshakeMs: number })
  | (Common & { type: 'connection'; location: string; outcome: 'failure'; failureReason: FailureReason; handshakeMs?: number })
  | (Common & { type: 'throughput'; location: string; downMbps: number; upMbps: number })
  | (Common & { type: 'session'; location: string; durationBucket: DurationBucket; transferBucket: TransferBucket })
  | (Common & { type: 'blocking'; mbBlocked: number; requestsBlocked: number; timeSavedSec: number });

export interface TelemetryLocation {
  id: string;
  available: boolean;
}

export interface GenerateOptions {
  locations: readonly TelemetryLocation[];
  count: number;
  now: Date;
  /** Uniform in [0, 1): `Math.random`, or a seeded generator in tests. */
  random: () => number;
  /** How many distinct hours of the last day the events fall in (default 4). */
  hours?: number;
}

const HOUR_MS = 3_600_000;

/** A small seeded generator (mulberry32), so a spec can replay a mix. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((n, [, w]) => n + w, 0);
  let r = random() * total;
  for (const [value, w] of weighted) {
    r -= w;
    if (r < 0) return value;
  }
  return (weighted[weighted.length - 1] as readonly [T, number])[0];
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** Log-normal around `median` (spread `sigma`), for latencies and speeds. */
const logNormal = (random: () => number, median: number, sigma: number) => {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
};
const oneDecimal = (v: number) => Math.round(v * 10) / 10;

const PLATFORM_MIX: readonly (readonly [Platform, number])[] = [
  ['android', 34],
  ['ios', 30],
  ['windows', 15],
  ['macos', 11],
  ['linux', 5],
  ['web', 5],
];
const VERSION_MIX: readonly (readonly [string, number])[] = [
  ['2.4.1', 45],
  ['2.4.0', 20],
  ['2.3', 20],
  ['2.5.0', 10],
  ['1.9.7', 5],
];
const TYPE_MIX = [
  ['connection', 40],
  ['throughput', 20],
  ['session', 25],
  ['blocking', 15],
] as const;
const FAILURE_MIX: readonly (readonly [FailureReason, number])[] = [
  ['handshake_timeout', 40],
  ['network_unreachable', 25],
  ['no_capacity', 15],
  ['token_rejected', 10],
  ['other', 10],
];
/** Index into DURATION_BUCKETS, weighted; longer sessions move more data (the transfer bucket is drawn around the same index). */
const DURATION_MIX: readonly (readonly [number, number])[] = [
  [0, 10],
  [1, 30],
  [2, 30],
  [3, 18],
  [4, 10],
  [5, 2],
];

/**
 * `count` events over a few whole hours of the last day (each `at` in the past, at most 24 h ago):
 * connection attempts (mostly successful, with handshake times), throughput samples, sessions by
 * duration and transfer bucket, and blocking summaries. Available locations get three times the
 * traffic of the others, so the dashboard's cells fill up past k-anonymity's threshold.
 */
export function generateTelemetry(o: GenerateOptions): TelemetryEvent[] {
  if (o.locations.length === 0) throw new Error('no locations to send telemetry for');
  const { random } = o;
  const now = o.now.getTime();
  const currentHour = Math.floor(now / HOUR_MS) * HOUR_MS;
  // Distinct hours among the last 24 (0 = the current one, which has begun: `at` stays before now).
  const offsets = new Set<number>();
  const wanted = clamp(o.hours ?? 4, 1, 23);
  while (offsets.size < wanted) offsets.add(Math.floor(random() * 23));
  const hours = [...offsets].map((k) => currentHour - k * HOUR_MS);
  const locations = o.locations.map((l) => [l.id, l.available ? 3 : 1] as const);

  const at = (): string => {
    const start = pick(random, hours.map((h) => [h, 1] as const));
    // Within the hour and before now (the current hour has only begun); at most 23 h back.
    const end = Math.max(start, Math.min(start + HOUR_MS, now - 1000));
    return new Date(start + Math.floor(random() * (end - start))).toISOString();
  };
  const common = (): Common => ({ platform: pick(random, PLATFORM_MIX), appVersion: pick(random, VERSION_MIX), at: at() });

  const events: TelemetryEvent[] = [];
  for (let i = 0; i < o.count; i++) {
    const type = pick(random, TYPE_MIX);
    const location = pick(random, locations);
    switch (type) {
      case 'connection': {
        if (random() < 0.92) {
          events.push({ type, ...common(), location, outcome: 'success', handshakeMs: Math.round(clamp(logNormal(random, 180, 0.6), 15, 60_000)) });
        } else {
          const failureReason = pick(random, FAILURE_MIX);
          // A timeout is the whole wait; other failures mostly end before a handshake is timed.
          const handshakeMs = failureReason === 'handshake_timeout' ? 5000 * (1 + Math.floor(random() * 4)) : random() < 0.3 ? Math.round(clamp(logNormal(random, 400, 0.8), 1, 60_000)) : undefined;
          events.push({ type, ...common(), location, outcome: 'failure', failureReason, ...(handshakeMs !== undefined ? { handshakeMs } : {}) });
        }
        break;
      }
      case 'throughput': {
        const down = clamp(logNormal(random, 85, 0.7), 0.5, 2000);
        events.push({ type, ...common(), location, downMbps: oneDecimal(down), upMbps: oneDecimal(clamp(down * (0.15 + random() * 0.25), 0.1, 1000)) });
        break;
      }
      case 'session': {
        const d = pick(random, DURATION_MIX);
        const t = clamp(d - 1 + Math.floor(random() * 3), 0, TRANSFER_BUCKETS.length - 1);
        events.push({ type, ...common(), location, durationBucket: DURATION_BUCKETS[d] as DurationBucket, transferBucket: TRANSFER_BUCKETS[t] as TransferBucket });
        break;
      }
      case 'blocking': {
        const requestsBlocked = Math.round(clamp(logNormal(random, 350, 0.9), 0, 10_000_000));
        events.push({
          type,
          ...common(),
          // About 40 kB per blocked request (ads and trackers), 0.3 s saved each.
          mbBlocked: oneDecimal(clamp((requestsBlocked * (20 + random() * 40)) / 1000, 0, 100_000)),
          requestsBlocked,
          timeSavedSec: Math.round(clamp(requestsBlocked * (0.2 + random() * 0.2), 0, 86_400)),
        });
        break;
      }
    }
  }
  return events;
}

/** The batches of at most `size` events that `POST /v1/events` takes. */
export function batches<T>(events: readonly T[], size = MAX_EVENTS_PER_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}

/** How many events of each type, for the summary line. */
export function countByType(events: readonly TelemetryEvent[]): Record<TelemetryEvent['type'], number> {
  const counts = { connection: 0, throughput: 0, session: 0, blocking: 0 };
  for (const e of events) counts[e.type] += 1;
  return counts;
}
