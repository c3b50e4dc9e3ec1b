import { Inject, Injectable } from '@nestjs/common';
import { Clock, FleetReportRow, OutageLog, nestOutageSink, type RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import type { ChainableCommander } from 'ioredis';
import { RedisKeys } from '../core/redis-keys';
import { OUTCOME_COUNTER, RedemptionOutcome, counterField, hourLabel, hourStart, rowsOfHour } from './fleet-totals';

/** An hour's totals stay in Redis this long after its last count: enough to report it, and then some. */
export const FLEET_TOTALS_TTL_SEC = 3 * 24 * 3600;

/**
 * The fleet totals per location and UTC hour, in Redis under `network:fleet:{totals}:<hour>` so
 * that every replica counts into the same numbers: redemption outcomes, and the sum and count of
 * the load nodes report in their pulses. Nothing else is kept — no node, key, token or request: a count
 * only says that something happened in that location in that hour.
 *
 * Counting is fire and forget: it never fails, delays or changes a redemption or a pulse. A count
 * that Redis refuses is lost and goes to the outage log (one line per outage, then one per 30 s,
 * and the recovery), never to the caller.
 */
@Injectable()
export class FleetCounters {
  private readonly outage = new OutageLog('fleet-counters', nestOutageSink());

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
  ) {}

  /** Counts one redemption's outcome in `location` (a location id, or `auto`). */
  redemption(outcome: RedemptionOutcome, location: string): void {
    this.count((tx, key) => tx.hincrby(key, counterField(location, OUTCOME_COUNTER[outcome]), 1));
  }

  /** Counts one load sample (0-100, from a pulse) of a node in `location`. */
  load(location: string, load: number): void {
    // One transaction, so that a reader never sees a sum without its count.
    this.count((tx, key) => tx.hincrbyfloat(key, counterField(location, 'loadSum'), load).hincrby(key, counterField(location, 'loadSamples'), 1));
  }

  /** The totals of the given hours (each the epoch ms of an hour's start), read in one transaction. */
  async read(hourStarts: readonly number[]): Promise<FleetReportRow[]> {
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

  private count(add: (tx: ChainableCommander, key: string) => ChainableCommander): void {
    const key = this.keys.fleetHour(hourLabel(hourStart(this.clock.nowMs())));
    try {
      add(this.redis.multi(), key)
        .expire(key, FLEET_TOTALS_TTL_SEC)
        .exec()
        .then(
          (res) => {
            const failed = res?.find(([e]) => e);
            if (!res || failed) this.outage.failure(this, failed?.[0] ?? new Error('fleet count aborted'));
            else this.outage.ready(this);
          },
          (e: unknown) => this.outage.failure(this, e),
        );
    } catch (e) {
      this.outage.failure(this, e);
    }
  }
}
