import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Clock, FleetReportRow, OutageLog, nestOutageSink, type RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import { RedisKeys } from '../core/redis-keys';
import { OUTCOME_COUNTER, RedemptionOutcome, counterField, hourLabel, hourStart, rowsOfHour } from './fleet-totals';

/** An hour's totals stay in Redis this long after its last count: enough to report it, and then some. */
export const FLEET_TOTALS_TTL_SEC = 3 * 24 * 3600;

/** Increments gathered for one hash field: integer counts, or the float sum of load samples. */
interface Pending {
  by: number;
  float: boolean;
}

/**
 * The fleet totals per location and UTC hour, in Redis under `network:fleet:{totals}:<hour>` so
 * that every replica counts into the same numbers: redemption outcomes, and the sum and count of
 * the load nodes report in their pulses. Nothing else is kept — no node, key, token or request: a count
 * only says that something happened in that location in that hour.
 *
 * Counting is fire and forget: it never fails, delays or changes a redemption or a pulse. The
 * counts made in one turn of the event loop are gathered in memory and written together right
 * after it (`setImmediate`, as the Redis client's own auto-pipelining batches commands; no timer),
 * one write at a time: counts made while a write is under way go out right after it, together —
 * one transaction for every count of a turn, or of a write's round trip, instead of one per
 * redemption and per pulse, the more counts the busier the replica — so a reader never sees a
 * load sum without its count, and a replica that dies loses at most the counts of about one round
 * trip to Redis (a sink that tolerates loss). A flush
 * that Redis refuses is lost and goes to the outage log (one line per outage, then one per 30 s,
 * and the recovery), never to the caller.
 */
@Injectable()
export class FleetCounters implements BeforeApplicationShutdown {
  private readonly outage = new OutageLog('fleet-counters', nestOutageSink());
  /** Hash key → field → increment not yet written. */
  private pending = new Map<string, Map<string, Pending>>();
  private scheduled?: NodeJS.Immediate;
  /** The write under way, if any (one at a time). */
  private writing?: Promise<void>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {}

  /** Counts one redemption's outcome in `location` (a location id, or `auto`). */
  redemption(outcome: RedemptionOutcome, location: string): void {
    this.add(counterField(location, OUTCOME_COUNTER[outcome]), 1, false);
  }

  /** Counts one load sample (0-100, from a pulse) of a node in `location`. */
  load(location: string, load: number): void {
    this.add(counterField(location, 'loadSum'), load, true);
    this.add(counterField(location, 'loadSamples'), 1, false);
  }

  /** The totals of the given hours (each the epoch ms of an hour's start), read in one transaction after the counts made so far are written. */
  async read(hourStarts: readonly number[]): Promise<FleetReportRow[]> {
    await this.flush();
    const tx = this.redis.multi();
    for (const h of hourStarts) tx.hgetall(this.keys.fleetHour(hourLabel(h)));
    let res: [Error | null, unknown][] | null;
    try {
      res = await tx.exec();
      const failed = res?.find(([e]) => e);
      if (!res || failed) throw failed?.[0] ?? new Error('fleet totals read aborted');
    } catch (e) {
      this.outage.failure(this, e);
      throw e;
    }
    this.outage.ready(this);
    return hourStarts.flatMap((h, i) => rowsOfHour(h, (res[i]?.[1] ?? {}) as Record<string, string>));
  }

  /**
   * Writes the counts gathered so far, in one transaction, after the write under way if any; never
   * throws (a refused write is logged and lost).
   */
  async flush(): Promise<void> {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    while (this.writing) await this.writing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      // Counts made during the write: out now, together.
      if (this.pending.size > 0) this.scheduled ??= setImmediate(() => void this.flush());
    });
    await this.writing;
  }

  private async write(batch: Map<string, Map<string, Pending>>): Promise<void> {
    try {
      const tx = this.redis.multi();
      for (const [key, fields] of batch) {
        for (const [field, { by, float }] of fields) {
          if (float) tx.hincrbyfloat(key, field, by);
          else tx.hincrby(key, field, by);
        }
        tx.expire(key, FLEET_TOTALS_TTL_SEC);
      }
      const res = await tx.exec();
      const failed = res?.find(([e]) => e);
      if (!res || failed) this.outage.failure(this, failed?.[0] ?? new Error('fleet count aborted'));
      else this.outage.ready(this);
    } catch (e) {
      this.outage.failure(this, e);
    }
  }

  /** The counts still in memory are written before the Redis client closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private add(field: string, by: number, float: boolean): void {
    const key = this.keys.fleetHour(hourLabel(hourStart(this.clock.nowMs())));
    let fields = this.pending.get(key);
    if (!fields) this.pending.set(key, (fields = new Map()));
    const entry = fields.get(field);
    if (entry) entry.by += by;
    else fields.set(field, { by, float });
    // Written once this turn of the event loop is over, with every other count made in it (or,
    // while a write is under way, once it is done: see flush).
    if (!this.writing) this.scheduled ??= setImmediate(() => void this.flush());
  }
}
