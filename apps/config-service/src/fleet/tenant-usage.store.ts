import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Clock, METRICS_REGISTRY, OutageLog, ServiceMetrics, TenantUsageRow, nestOutageSink, type RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import type { ChainableCommander } from 'ioredis';
import { Counter } from 'prom-client';
import { RedisKeys } from '../core/redis-keys';

export const DAY_MS = 86_400_000;

/**
 * How long a day's usage stays in Redis after the day ends. Longer than the longest lease
 * (a plan's `leaseTtlHours` is at most 720, 30 days) plus the time to notice its end: a lease's
 * held seconds are counted when it ends, into every day it spanned, so a day must still hold its
 * totals then — a day that expired and came back with only the late seconds would replace the
 * complete row analytics-service has.
 */
export const TENANT_USAGE_KEEP_DAYS = 40;

/** The hash fields of a tenant's day, and the row field each one is. */
const COUNTERS = { connections: 'connections', seconds: 'connectionSeconds', bytes: 'bytes' } as const;
type UsageCounter = keyof typeof COUNTERS;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day `ms` falls in, `YYYY-MM-DD`. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The start (epoch ms) of the UTC day `ms` falls in. */
export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * The whole seconds of [from, to) in each UTC day, oldest first, leaving out days before
 * `notBefore` (their totals are gone from Redis). Each day's share is rounded on its own.
 */
export function secondsPerDay(fromMs: number, toMs: number, notBeforeMs = -Infinity): [day: string, seconds: number][] {
  const out: [string, number][] = [];
  if (!(toMs > fromMs)) return out;
  let start = Math.max(fromMs, dayStart(notBeforeMs));
  // Bounded: at most TENANT_USAGE_KEEP_DAYS + 2 days when notBefore is given, and never more than ~1000.
  for (let i = 0; start < toMs && i < 1000; i++) {
    const end = Math.min(toMs, dayStart(start) + DAY_MS);
    const seconds = Math.round((end - start) / 1000);
    if (seconds > 0) out.push([dayOf(start), seconds]);
    start = end;
  }
  return out;
}

/**
 * The rows of one day from its hash (`HGETALL`): one row per tenant, every counter present (0 when
 * never counted), by tenant id. Fields that are not `<uuid>:<counter>` with an integer are ignored.
 */
export function rowsOfDay(day: string, hash: Record<string, string>): TenantUsageRow[] {
  const rows = new Map<string, TenantUsageRow>();
  for (const [field, value] of Object.entries(hash)) {
    const at = field.lastIndexOf(':');
    const tenantId = field.slice(0, at);
    const counter = field.slice(at + 1) as UsageCounter;
    if (!UUID.test(tenantId) || !Object.hasOwn(COUNTERS, counter) || !/^\d+$/.test(value)) continue;
    let row = rows.get(tenantId);
    if (!row) {
      row = { day, tenantId, connections: 0, connectionSeconds: 0, bytes: 0 };
      rows.set(tenantId, row);
    }
    row[COUNTERS[counter]] = Number(value);
  }
  return [...rows.values()].sort((a, b) => a.tenantId.localeCompare(b.tenantId));
}

/**
 * Tenant usage per UTC day in Redis, shared by every replica: connections (successful
 * redemptions of the tenant's tokens), seconds of lease time held, and bytes its peers moved (from
 * node pulses, summed per tenant as they arrive). One hash per day under
 * `network:tenant-usage:{usage}:<day>`, fields `<tenantId>:connections|seconds|bytes`: a tenant id,
 * a day, numbers — nothing per lease, node, peer or user. Every key of it shares the `{usage}` tag
 * (one slot of a Redis Cluster), and a day's hash expires {@link TENANT_USAGE_KEEP_DAYS} after the day.
 *
 * Counting is fire and forget: it never fails, delays or changes a redemption, release or pulse.
 * A count Redis refuses is lost, counted on `/metrics` (`phoenix_tenant_usage_writes_failed_total`)
 * and goes to the outage log — never to the caller.
 *
 * The report ({@link collect}) reads the days asked for plus every day changed since the last
 * collect (a lease ending today adds seconds to the days it began in), which it takes off the
 * changed set in the same transaction.
 */
@Injectable()
export class TenantUsageStore {
  private readonly outage = new OutageLog('tenant-usage', nestOutageSink());
  private readonly logger = new Logger('TenantUsageStore');
  private readonly failed?: Counter;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
    @Optional() @Inject(METRICS_REGISTRY) metrics?: ServiceMetrics,
  ) {
    if (metrics) {
      this.failed = new Counter({ name: 'phoenix_tenant_usage_writes_failed_total', help: 'Tenant usage counts Redis refused (lost)', registers: [metrics.registry] });
    }
  }

  /** One successful redemption of a tenant's token at `at`. */
  connection(tenantId: string, at: Date): void {
    this.count(tenantId, [[dayOf(at.getTime()), 'connections', 1]]);
  }

  /** A tenant lease held from `from` to `to` (when it ended): its seconds, split across UTC days. */
  held(tenantId: string, from: Date, to: Date): void {
    const notBefore = this.clock.nowMs() - TENANT_USAGE_KEEP_DAYS * DAY_MS;
    const parts = secondsPerDay(from.getTime(), to.getTime(), notBefore);
    this.count(
      tenantId,
      parts.map(([day, seconds]) => [day, 'seconds', seconds]),
    );
  }

  /** Bytes (rx + tx) the tenant's peers moved, reported by a node at `at`. */
  bytes(tenantId: string, bytes: number, at: Date): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) return;
    this.count(tenantId, [[dayOf(at.getTime()), 'bytes', bytes]]);
  }

  /**
   * The rows of `days` and of every day changed since the last collect, read in one transaction
   * that also takes those changed days off the changed set. `changed` lists them: a report that
   * cannot be sent gives them back with {@link markChanged}.
   * @throws when Redis cannot be read
   */
  async collect(days: readonly string[]): Promise<{ rows: TenantUsageRow[]; changed: string[] }> {
    try {
      const changed = (await this.redis.smembers(this.keys.tenantUsageDirty())).filter((d) => DAY.test(d)).sort();
      const all = [...new Set([...days, ...changed])].sort();
      const tx = this.redis.multi();
      for (const d of all) tx.hgetall(this.keys.tenantUsageDay(d));
      if (changed.length > 0) tx.srem(this.keys.tenantUsageDirty(), ...changed);
      const res = await tx.exec();
      const failed = res?.find(([e]) => e);
      if (!res || failed) throw failed?.[0] ?? new Error('tenant usage read aborted');
      this.outage.ready(this);
      return { rows: all.flatMap((d, i) => rowsOfDay(d, (res[i]?.[1] ?? {}) as Record<string, string>)), changed };
    } catch (e) {
      this.outage.failure(this, e);
      throw e;
    }
  }

  /** Marks days as changed again (a report of them was not sent). Fire and forget. */
  markChanged(days: readonly string[]): void {
    if (days.length === 0) return;
    this.settle(() => this.redis.multi().sadd(this.keys.tenantUsageDirty(), ...days).expire(this.keys.tenantUsageDirty(), TENANT_USAGE_KEEP_DAYS * 86_400));
  }

  private count(tenantId: string, adds: [day: string, counter: UsageCounter, n: number][]): void {
    if (adds.length === 0) return;
    const tenant = tenantId.toLowerCase();
    if (!UUID.test(tenant)) {
      // A caller's bug, not an outage: counted and logged (without the value), never thrown.
      this.failed?.inc();
      this.logger.warn({ msg: 'tenant usage not counted: not a tenant id' });
      return;
    }
    this.settle(() => {
      const tx = this.redis.multi();
      const dirty = this.keys.tenantUsageDirty();
      for (const [day, counter, n] of adds) {
        const key = this.keys.tenantUsageDay(day);
        tx.hincrby(key, `${tenant}:${counter}`, n).expireat(key, Math.floor((Date.parse(day) + (TENANT_USAGE_KEEP_DAYS + 1) * DAY_MS) / 1000));
      }
      tx.sadd(dirty, ...new Set(adds.map(([day]) => day))).expire(dirty, TENANT_USAGE_KEEP_DAYS * 86_400);
      return tx;
    });
  }

  private settle(build: () => ChainableCommander): void {
    try {
      build()
        .exec()
        .then(
          (res) => {
            const failed = res?.find(([e]) => e);
            if (!res || failed) this.lost(failed?.[0] ?? new Error('tenant usage count aborted'));
            else this.outage.ready(this);
          },
          (e: unknown) => this.lost(e),
        );
    } catch (e) {
      this.lost(e);
    }
  }

  private lost(e: unknown): void {
    this.failed?.inc();
    this.outage.failure(this, e);
  }
}
