import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { Clock, FleetReport, InjectConfig, Patterns } from '@phoenix/common';
import { lastValueFrom, timeout } from 'rxjs';
import type { NetworkConfig } from '../config';
import { NODE_TRANSPORT } from '../core/core.module';
import { FleetCounters } from './fleet-counters.store';
import { HOUR_MS, hourStart } from './fleet-totals';

/** How long one report may take to publish before it is given up (the next one follows anyway). */
const SEND_TIMEOUT_MS = 5000;

/**
 * Sends the fleet totals of the current and the previous UTC hour to analytics-service
 * (`analytics.fleet.report`, an event on the Redis transport) every `FLEET_REPORT_INTERVAL_SEC`.
 *
 * Every replica sends, from the totals all replicas share: a report carries running totals and
 * its read time as `version`, and analytics-service keeps the latest per (hour, location), so a
 * repeated, duplicated or lost report is harmless — the next one carries the same totals or newer.
 * An hour's final totals go out for a whole hour after it ends.
 *
 * This is a timer in a service, which the style keeps for job-worker schedules; it stays here
 * because the report is a push of this service's own counters to a sink that tolerates loss and
 * repetition, not maintenance of data: nothing is changed, deleted or owed if it stops. A
 * job-worker schedule could send a command that calls {@link report} instead, at the price of one
 * more hop for the same numbers.
 */
@Injectable()
export class FleetReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FleetReporter');
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;

  constructor(
    @InjectConfig() private readonly config: NetworkConfig,
    private readonly counters: FleetCounters,
    @Inject(NODE_TRANSPORT) private readonly client: ClientProxy,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.FLEET_REPORT_INTERVAL_SEC * 1000;
    if (every <= 0) return;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /**
   * Reads the totals of the current and the previous hour and publishes them. Resolves with the
   * report sent, or null when there was nothing to report.
   * @throws when Redis cannot be read or the report cannot be published
   */
  async report(): Promise<FleetReport | null> {
    const current = hourStart(this.clock.nowMs());
    const rows = await this.counters.read([current - HOUR_MS, current]);
    // Read time, after the read: a later read of the same (only growing) totals has a later version.
    const version = this.clock.nowMs();
    if (rows.length === 0) return null;
    const report: FleetReport = { version, rows };
    await lastValueFrom(this.client.emit(Patterns.ANALYTICS_FLEET_REPORT, report).pipe(timeout(SEND_TIMEOUT_MS)), { defaultValue: undefined });
    return report;
  }

  /** One timer run; a run still in flight (a slow Redis) is not overlapped. */
  private tick(): void {
    if (this.inFlight) return;
    this.inFlight = this.report()
      .then(
        () => undefined,
        (e: unknown) => this.logger.warn({ msg: 'fleet report not sent', error: (e as Error).message }),
      )
      .finally(() => (this.inFlight = undefined));
  }
}
