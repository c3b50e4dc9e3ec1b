import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { Clock, FleetReport, Patterns, TenantUsageReport } from '@phoenix/common';
import { lastValueFrom, timeout } from 'rxjs';
import { NODE_TRANSPORT } from '../core/core.module';
import { FleetCounters } from './fleet-counters.store';
import { HOUR_MS, hourStart } from './fleet-totals';
import { DAY_MS, TenantUsageStore, dayOf } from './tenant-usage.store';

/** How long one report may take to publish before it is given up (the next one follows anyway). */
const SEND_TIMEOUT_MS = 5000;

/** Rows per `analytics.tenant.usage` message (a larger report goes out as several, same version). */
export const TENANT_USAGE_ROWS_PER_MESSAGE = 1000;

/** What one report sent (null: nothing to send). */
export interface SentReports {
  fleet: FleetReport | null;
  usage: TenantUsageReport | null;
}

/**
 * Sends to analytics-service, when job-worker's `network.fleet.report` schedule asks (every
 * minute by default), two events on the Redis transport:
 * - `analytics.fleet.report`: the fleet totals of the current and the previous UTC hour;
 * - `analytics.tenant.usage`: each tenant's usage of the current and the previous UTC day, and of
 *   any older day that changed since the last report (a lease ending today adds held seconds to the
 *   days it began in), in messages of at most {@link TENANT_USAGE_ROWS_PER_MESSAGE} rows.
 *
 * Every replica receives the command and sends, from the totals all replicas share: a report
 * carries running totals and its read time as `version`, and analytics-service keeps the latest
 * per row, so a repeated, duplicated or lost report is harmless — the next one carries the same
 * totals or newer (an older day's late change goes out once; if it cannot be published the day
 * is marked changed again). An hour's final totals go out for a whole hour after it ends, a day's
 * for a whole day.
 */
@Injectable()
export class FleetReporter {
  constructor(
    private readonly counters: FleetCounters,
    private readonly usage: TenantUsageStore,
    @Inject(NODE_TRANSPORT) private readonly client: ClientProxy,
    private readonly clock: Clock,
  ) {}

  /**
   * Reads and publishes both reports; one failing does not keep the other from going out.
   * @throws when Redis cannot be read or a report cannot be published (after trying both)
   */
  async report(): Promise<SentReports> {
    const [fleet, usage] = await Promise.allSettled([this.reportFleet(), this.reportUsage()]);
    if (fleet.status === 'rejected') throw fleet.reason;
    if (usage.status === 'rejected') throw usage.reason;
    return { fleet: fleet.value, usage: usage.value };
  }

  private async reportFleet(): Promise<FleetReport | null> {
    const current = hourStart(this.clock.nowMs());
    const rows = await this.counters.read([current - HOUR_MS, current]);
    // Read time, after the read: a later read of the same (only growing) totals has a later version.
    const version = this.clock.nowMs();
    if (rows.length === 0) return null;
    const report: FleetReport = { version, rows };
    await this.emit(Patterns.ANALYTICS_FLEET_REPORT, report);
    return report;
  }

  private async reportUsage(): Promise<TenantUsageReport | null> {
    const now = this.clock.nowMs();
    const { rows, changed } = await this.usage.collect([dayOf(now - DAY_MS), dayOf(now)]);
    const version = this.clock.nowMs();
    if (rows.length === 0) return null;
    try {
      for (let i = 0; i < rows.length; i += TENANT_USAGE_ROWS_PER_MESSAGE) {
        await this.emit(Patterns.ANALYTICS_TENANT_USAGE, { version, rows: rows.slice(i, i + TENANT_USAGE_ROWS_PER_MESSAGE) } satisfies TenantUsageReport);
      }
    } catch (e) {
      this.usage.markChanged(changed);
      throw e;
    }
    return { version, rows };
  }

  private async emit(pattern: string, data: unknown): Promise<void> {
    await lastValueFrom(this.client.emit(pattern, data).pipe(timeout(SEND_TIMEOUT_MS)), { defaultValue: undefined });
  }
}
