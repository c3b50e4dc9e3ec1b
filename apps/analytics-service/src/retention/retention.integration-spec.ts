import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { Patterns, ScheduledCommand, redisClientOptions, redisTransportOptions } from '@phoenix/common';
import { ThrowawayRedis } from '@phoenix/common/testing';
import { firstValueFrom, timeout } from 'rxjs';
import { RunningIngest, TelemetryDb, startIngestApp } from '../../test/ingest-support';
import type { RetentionResult } from './retention.service';

// analytics.retention as job-worker sends it, over the Redis transport — a redis-server of this
// suite's own, so that no other analytics-service (the platform's, another suite's) receives the
// command and drops partitions of its database — on a ClickHouse database of the suite's own.
const RETENTION_DAYS = 90;

/** Unix seconds of the first day of the month `offset` months before the current one (UTC), at 12:00. */
function monthsAgo(offset: number): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - offset, 1, 12) / 1000;
}

const monthId = (unixSec: number) => new Date(unixSec * 1000).toISOString().slice(0, 7).replace('-', '');

describe('analytics.retention', () => {
  let db: TelemetryDb;
  let redis: ThrowawayRedis;
  let svc: RunningIngest;
  let jobs: ClientProxy;
  let run = 0;

  // Months whose newest hour is older than 90 days (the 5th month back ends ≥ 119 days ago) and
  // months that are not (the 2nd month back ends ≤ 62 days ago).
  const old = [Date.UTC(2001, 0, 15) / 1000, Date.UTC(2020, 5, 30, 23) / 1000, monthsAgo(5)];
  const recent = [monthsAgo(2), monthsAgo(0)];

  async function send(): Promise<RetentionResult> {
    const period = new Date(Date.UTC(2030, 0, 1, 3, 30 + run++)).toISOString();
    const command: ScheduledCommand = { schedule: Patterns.ANALYTICS_RETENTION, period, idempotencyKey: `${Patterns.ANALYTICS_RETENTION}@${period}` };
    return firstValueFrom(jobs.send<RetentionResult>(Patterns.ANALYTICS_RETENTION, command).pipe(timeout(30_000)));
  }

  const partitions = async (table: string) =>
    (await db.query<{ id: string }>(`SELECT DISTINCT partition_id AS id FROM system.parts WHERE database = currentDatabase() AND table = '${table}' AND active ORDER BY id`)).map((r) => r.id);
  const rows = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count() AS n FROM ${table} FINAL`))[0].n);

  beforeAll(async () => {
    db = await TelemetryDb.create('retention');
    redis = await ThrowawayRedis.start();
    svc = await startIngestApp(db, { REDIS_URL: redis.url, ANALYTICS_RETENTION_DAYS: String(RETENTION_DAYS) });
    svc.app.connectMicroservice(redisTransportOptions(redis.url), { inheritAppConfig: true });
    await svc.app.startAllMicroservices();
    jobs = ClientProxyFactory.create(redisClientOptions('jobs', redis.url) as never) as unknown as ClientProxy;
    await jobs.connect();

    const hours = [...old, ...recent];
    await db.ch.insert({
      table: 'telemetry',
      format: 'JSONEachRow',
      values: hours.flatMap((hour, i) => [1, 2, 3].map((n) => ({ hour, type: 'blocking', platform: 'ios', app_version: '1.0', mb_blocked: n, row_key: String(i * 10 + n) }))),
    });
    await db.ch.insert({
      table: 'fleet_hourly',
      format: 'JSONEachRow',
      values: [old[0], old[2], recent[1]].map((hour) => ({ hour, location: 'de-fra', redemptions: 5, version: 1 })),
    });
  }, 60_000);

  afterAll(async () => {
    await jobs?.close();
    await svc?.close();
    await redis?.dispose();
    await db?.drop();
  });

  it('drops the whole months past ANALYTICS_RETENTION_DAYS of telemetry and fleet_hourly, and replies with counts', async () => {
    expect(await partitions('telemetry')).toEqual([...old, ...recent].map(monthId).sort());
    const result = await send();
    expect(result).toEqual({
      retentionDays: RETENTION_DAYS,
      cutoff: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      partitionsDropped: 5,
      rowsDropped: 11,
      tables: {
        telemetry: { partitions: old.map(monthId).sort(), rows: 9 },
        fleet_hourly: { partitions: [old[0], old[2]].map(monthId).sort(), rows: 2 },
      },
    });
    expect(Date.now() - Date.parse(result.cutoff)).toBeGreaterThanOrEqual(RETENTION_DAYS * 86_400_000);
    expect(await partitions('telemetry')).toEqual(recent.map(monthId).sort());
    expect(await partitions('fleet_hourly')).toEqual([monthId(recent[1])]);
    expect(await rows('telemetry')).toBe(6);
    expect(await rows('fleet_hourly')).toBe(1);
  });

  it('finds nothing to drop when the same period is sent again', async () => {
    const again = await send();
    expect(again).toMatchObject({ partitionsDropped: 0, rowsDropped: 0, tables: { telemetry: { partitions: [], rows: 0 }, fleet_hourly: { partitions: [], rows: 0 } } });
    expect(await rows('telemetry')).toBe(6);
    expect(await rows('fleet_hourly')).toBe(1);
  });
});
