// Test support for the stats, dashboard and Grafana suites: rows written straight into the stack's
// ClickHouse, in whole months of their own far in the future (dropped afterwards), with locations
// of their own — so suites running at the same time never see each other's rows.
import { randomBytes, randomInt } from 'node:crypto';
import { DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { PlatformModule, createServiceApp, loadConfig } from '@phoenix/common';
import { ClickHouseModule, createClickHouse } from '@phoenix/database';
import { AnalyticsConfig, configShape } from '../src/config';
import { CoreModule } from '../src/core/core.module';
import { DashboardModule } from '../src/dashboard/dashboard.module';

export const ADMIN_TOKEN = `stats-admin-${randomBytes(12).toString('hex')}`;
const DAY = 86_400;

export interface TelemetryRow {
  hour: number; // unix seconds
  type: 'connection' | 'throughput' | 'session' | 'blocking';
  platform?: string;
  app_version?: string;
  location?: string;
  outcome?: string;
  failure_reason?: string;
  handshake_ms?: number | null;
  down_mbps?: number;
  up_mbps?: number;
  duration_bucket?: string;
  transfer_bucket?: string;
  mb_blocked?: number;
  requests_blocked?: number;
  time_saved_sec?: number;
  /** Random unless given: the same key twice is one event inserted twice (a retried insert). */
  row_key?: string;
}

export interface FleetRow {
  hour: number;
  location: string;
  redemptions?: number;
  reused?: number;
  no_capacity?: number;
  invalid?: number;
  load_sum?: number;
  load_samples?: number;
  version?: number;
}

/** A location id of this suite alone (`zz-` and letters: the shape of a real one, no digits). */
export function testLocation(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let s = 'zz-';
  for (let i = 0; i < 10; i++) s += letters[randomInt(letters.length)];
  return s;
}

/**
 * A month of this suite alone in years [fromYear, toYear] (each suite takes its own span of years),
 * as its first day's unix seconds and its partition id (toYYYYMM).
 */
export function testMonth(fromYear: number, toYear: number): { start: number; partition: number; day: (n: number) => string; at: (day: number, hour: number) => number } {
  const year = randomInt(fromYear, toYear + 1);
  const month = randomInt(1, 13);
  const start = Date.UTC(year, month - 1, 1) / 1000;
  return {
    start,
    partition: year * 100 + month,
    /** `YYYY-MM-DD` of day n (1-based) of the month. */
    day: (n) => new Date((start + (n - 1) * DAY) * 1000).toISOString().slice(0, 10),
    /** Unix seconds of day n (1-based), hour h (UTC). */
    at: (n, h) => start + (n - 1) * DAY + h * 3600,
  };
}

export function stackClickHouse(): ClickHouseClient {
  const url = process.env.CLICKHOUSE_URL;
  if (!url) throw new Error('CLICKHOUSE_URL is not set: start the stack (npm run stack:start)');
  return createClickHouse(url);
}

export function randomRowKey(): string {
  return randomBytes(8).readBigUInt64BE().toString();
}

/** Inserts telemetry rows, each with a random row_key (as the ingest queue gives distinct events). */
export async function insertTelemetry(ch: ClickHouseClient, rows: TelemetryRow[]): Promise<void> {
  const values = rows.map((r) => ({
    platform: 'ios',
    app_version: '1.0',
    location: '',
    outcome: '',
    failure_reason: '',
    handshake_ms: null,
    down_mbps: 0,
    up_mbps: 0,
    duration_bucket: '',
    transfer_bucket: '',
    mb_blocked: 0,
    requests_blocked: 0,
    time_saved_sec: 0,
    ...r,
    row_key: r.row_key ?? randomRowKey(),
  }));
  for (let i = 0; i < values.length; i += 10_000) {
    await ch.insert({ table: 'telemetry', values: values.slice(i, i + 10_000), format: 'JSONEachRow' });
  }
}

export async function insertFleet(ch: ClickHouseClient, rows: FleetRow[]): Promise<void> {
  const values = rows.map((r) => ({ redemptions: 0, reused: 0, no_capacity: 0, invalid: 0, load_sum: 0, load_samples: 0, version: 1, ...r }));
  await ch.insert({ table: 'fleet_hourly', values, format: 'JSONEachRow' });
}

/** `n` copies of a row (distinct events of the same cell). */
export function times<T>(n: number, row: T): T[] {
  return Array.from({ length: n }, () => ({ ...row }));
}

/** Drops the suite's months from both tables (partitions are whole months: nothing else is in them). */
export async function dropMonths(ch: ClickHouseClient, partitions: number[]): Promise<void> {
  for (const p of partitions) {
    for (const table of ['telemetry', 'fleet_hourly']) await ch.command({ query: `ALTER TABLE ${table} DROP PARTITION ${p}` });
  }
}

export function statsConfig(overrides: Record<string, string> = {}): AnalyticsConfig {
  return loadConfig(configShape, { ...process.env, ADMIN_TOKEN, K_ANONYMITY_MIN: '10', LOG_LEVEL: 'warn', ...overrides });
}

/**
 * analytics-service with only what the stats and the dashboard need (ClickHouse, config, the
 * platform plumbing): the ingest's Redis consumers are not part of these suites.
 */
export async function startStatsApp(config: AnalyticsConfig): Promise<{ app: NestFastifyApplication; base: string }> {
  @Module({})
  class StatsTestModule {
    static forRoot(): DynamicModule {
      return {
        module: StatsTestModule,
        imports: [
          ClickHouseModule.forRoot(config.CLICKHOUSE_URL),
          PlatformModule.forRoot({ service: 'analytics-service', logLevel: config.LOG_LEVEL, readiness: { useFactory: () => [] } }),
          CoreModule.forRoot(config),
          DashboardModule,
        ],
      };
    }
  }
  const app = await createServiceApp({ service: 'analytics-service', module: StatsTestModule.forRoot(), port: 0, host: '127.0.0.1', description: 'test' });
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

/** Hour of day (UTC) of a row. */
export function hourOf(row: { hour: number }): number {
  return Math.floor((row.hour % 86_400) / 3600);
}

/** A small seeded generator (mulberry32): the same realistic-looking mix on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REASONS = ['handshake_timeout', 'token_rejected', 'no_capacity', 'network_unreachable', 'other'];
const DURATIONS = ['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h'];
const TRANSFERS = ['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB'];

/**
 * A week (days 1–7 of the month) of every kind of row for `locations`, like the field would send:
 * busy day hours, quiet nights whose cells stay under k, a day (5) with k − 1 blocking reports.
 */
export function realisticMix(m: ReturnType<typeof testMonth>, locations: string[], seed = 13): { telemetry: TelemetryRow[]; fleet: FleetRow[] } {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const telemetry: TelemetryRow[] = [];
  const fleet: FleetRow[] = [];
  for (const loc of locations) {
    for (let hour = 0; hour < 24; hour++) {
      const quiet = hour >= 1 && hour <= 4;
      const attempts = quiet ? Math.floor(rnd() * 9) : 10 + Math.floor(rnd() * 40);
      const successRate = 0.75 + rnd() * 0.24;
      for (let i = 0; i < attempts; i++) {
        const ok = rnd() < successRate;
        telemetry.push({
          type: 'connection',
          hour: m.at(1 + Math.floor(rnd() * 7), hour),
          location: loc,
          outcome: ok ? 'success' : 'failure',
          failure_reason: ok ? '' : pick(REASONS),
          handshake_ms: ok ? 80 + Math.floor(rnd() * 300) : null,
          platform: pick(['ios', 'android', 'macos', 'windows', 'linux']),
          app_version: pick(['2.3', '2.4', '2.4', '3.0']),
        });
      }
      const redemptions = quiet ? Math.floor(rnd() * 6) : 10 + Math.floor(rnd() * 30);
      fleet.push({
        hour: m.at(1 + (hour % 7), hour),
        location: loc,
        redemptions,
        reused: Math.floor(rnd() * 3),
        no_capacity: Math.floor(rnd() * 2),
        invalid: Math.floor(rnd() * 2),
        load_sum: Math.round(redemptions * (20 + rnd() * 60) * 10) / 10,
        load_samples: redemptions,
      });
    }
    for (let i = 0; i < 25; i++) {
      telemetry.push({ type: 'throughput', hour: m.at(1 + (i % 7), i % 24), location: loc, down_mbps: Math.round((40 + rnd() * 260) * 10) / 10, up_mbps: Math.round((10 + rnd() * 60) * 10) / 10 });
    }
  }
  for (let i = 0; i < 400; i++) {
    const d = Math.min(5, Math.floor(rnd() * rnd() * 7));
    const t = Math.min(4, Math.max(0, d - 1 + Math.floor(rnd() * 3)));
    telemetry.push({ type: 'session', hour: m.at(1 + (i % 7), i % 24), location: pick(locations), duration_bucket: DURATIONS[d], transfer_bucket: TRANSFERS[t] });
  }
  for (let day = 1; day <= 7; day++) {
    const n = day === 5 ? 9 : 20 + Math.floor(rnd() * 30);
    for (let i = 0; i < n; i++) {
      telemetry.push({
        type: 'blocking',
        hour: m.at(day, i % 24),
        mb_blocked: Math.round(rnd() * 400) / 10,
        requests_blocked: Math.floor(rnd() * 900),
        time_saved_sec: Math.floor(rnd() * 240),
        platform: pick(['ios', 'android']),
        app_version: '2.4',
      });
    }
  }
  return { telemetry, fleet };
}
