// Test support for the ingest and retention suites: a throwaway ClickHouse database per suite (with
// the shipped migrations applied), a Redis key prefix per suite, event batches, and the content scan.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { createServiceApp, loadConfig, redactIps } from '@phoenix/common';
import { WORKSPACE_ROOT, dropRedisPrefix, sideRedisUrl, waitForHttp } from '@phoenix/common/testing';
import { createClickHouse, runClickHouseMigrations } from '@phoenix/database';
import { AppModule } from '../src/app.module';
import { AnalyticsConfig, configShape } from '../src/config';
import { EVENTS_BODY_LIMIT } from '../src/ingest/ingest.controller';

export const MIGRATIONS_DIR = path.join(WORKSPACE_ROOT, 'infra/clickhouse/migrations');

function stackClickHouseUrl(): string {
  const url = process.env.CLICKHOUSE_URL;
  if (!url) throw new Error('CLICKHOUSE_URL is not set: start the stack (npm run stack:start)');
  return url;
}

/** A database of the suite's own on the stack's ClickHouse, migrated; {@link drop} removes it. */
export class TelemetryDb {
  private constructor(
    readonly name: string,
    /** CLICKHOUSE_URL for a service on this database. */
    readonly url: string,
    readonly ch: ClickHouseClient,
  ) {}

  static async create(label: string): Promise<TelemetryDb> {
    const name = `test_${label}_${randomBytes(4).toString('hex')}`;
    const admin = createClickHouse(stackClickHouseUrl());
    try {
      await admin.command({ query: `CREATE DATABASE ${name}` });
    } finally {
      await admin.close();
    }
    const url = new URL(stackClickHouseUrl());
    url.pathname = `/${name}`;
    const ch = createClickHouse(url.toString());
    await runClickHouseMigrations(ch, MIGRATIONS_DIR);
    return new TelemetryDb(name, url.toString(), ch);
  }

  async query<T>(sql: string): Promise<T[]> {
    return (await this.ch.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  }

  /** Rows of `telemetry` as readers see them (FINAL: one row per row_key). */
  async count(where = '1'): Promise<number> {
    const [r] = await this.query<{ n: string }>(`SELECT count() AS n FROM telemetry FINAL WHERE ${where}`);
    return Number(r.n);
  }

  async drop(): Promise<void> {
    await this.ch.command({ query: `DROP DATABASE IF EXISTS ${this.name}` }).catch(() => undefined);
    await this.ch.close();
  }
}

/** A Redis key prefix of the suite's own under `analytics:` (dropped with {@link dropRedisPrefix}). */
export function testPrefix(): string {
  return `analytics:t-${randomBytes(4).toString('hex')}:`;
}

export interface RunningIngest {
  app: NestFastifyApplication;
  base: string;
  config: AnalyticsConfig;
  close: () => Promise<void>;
}

/** analytics-service in this process, on the analytics side's Redis user and `db`. */
export async function startIngestApp(db: TelemetryDb, env: Record<string, string> = {}): Promise<RunningIngest> {
  const config = loadConfig(configShape, {
    ...process.env,
    REDIS_URL: sideRedisUrl('analytics-service'),
    CLICKHOUSE_URL: db.url,
    // Never the default `analytics:`: the platform's service (and every other suite) share this Redis.
    REDIS_KEY_PREFIX: testPrefix(),
    LOG_LEVEL: 'warn',
    ...env,
  });
  const app = await createServiceApp({
    service: 'analytics-service',
    module: AppModule.forRoot(config),
    port: 0,
    host: '127.0.0.1',
    description: 'test',
    bodyLimit: EVENTS_BODY_LIMIT,
  });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  // Redis connects in the background (fail-fast client): ready once it answers.
  await waitForHttp(`${base}/health/ready`, 15_000);
  return {
    app,
    base,
    config,
    close: async () => {
      await app.close();
      await dropRedisPrefix(config.REDIS_KEY_PREFIX);
    },
  };
}

export function postEvents(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/**
 * `n` connection events in `location`, each marked by its handshake time (`mark + i`, unique in a
 * suite), so that a suite can tell which events landed and how often.
 */
export function markedEvents(location: string, mark: number, n: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ type: 'connection', platform: 'android', appVersion: '4.1.7', location, outcome: 'success', handshakeMs: mark + i }));
}

/** A location id of this suite alone (letters only: no digits that a scan could take for anything). */
export function testLocation(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return `zz-${Array.from(randomBytes(10), (b) => letters[b % 26]).join('')}`;
}

/** Polls `check` until it holds, bounded. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// What an identifier looks like, wherever it might hide in a value (addresses: the log redactor's
// own detector, which knows an IPv6 address from a time of day).
const IDENTIFIER_PATTERNS: Array<[string, RegExp | ((v: string) => boolean)]> = [
  ['IP address', (v) => redactIps(v) !== v],
  ['UUID', /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i],
  ['long hex string', /[0-9a-f]{16,}/i],
  ['email address', /[^\s@]+@[^\s@]+\.[^\s@]+/],
  ['long token', /[A-Za-z0-9_+/=-]{24,}/],
];

/** The patterns a value matches ({@link scanTables} runs them over every column). */
export function identifierKinds(value: string): string[] {
  return IDENTIFIER_PATTERNS.filter(([, test]) => (typeof test === 'function' ? test(value) : test.test(value))).map(([kind]) => kind);
}

/**
 * Every text value of every row of every table in `db` that looks like an address or an
 * identifier: `table.column = value (kinds)`; empty when the scan found nothing. Numbers are not
 * text here (JSON numbers): each numeric column is bounded by the event schema. Left out:
 * `row_key` (a per-event random dedup key from a nonce deleted with the queued batch, which
 * ClickHouse writes as text) and the migrations' bookkeeping.
 */
export async function scanTables(db: TelemetryDb): Promise<{ rows: number; findings: string[] }> {
  const tables = (await db.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name != 'schema_migrations'`)).map((t) => t.name);
  const findings: string[] = [];
  let rows = 0;
  for (const table of tables) {
    for (const row of await db.query<Record<string, unknown>>(`SELECT * FROM ${table}`)) {
      rows++;
      for (const [column, value] of Object.entries(row)) {
        if (column === 'row_key' || typeof value !== 'string') continue;
        const kinds = identifierKinds(value);
        if (kinds.length > 0) findings.push(`${table}.${column} = ${value} (${kinds.join(', ')})`);
      }
    }
  }
  return { rows, findings };
}
