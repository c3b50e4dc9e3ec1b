import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { FleetReport } from '@phoenix/common';
import { CLICKHOUSE } from '@phoenix/database';

/** The ClickHouse side of the fleet panel: `fleet_hourly` (infra/clickhouse/migrations/002_telemetry.sql). */
@Injectable()
export class FleetRepository {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseClient) {}

  /**
   * Inserts every row of a report with the report's version. `fleet_hourly` is a
   * ReplacingMergeTree(version) on (hour, location): the row of the highest version wins, so the
   * same report inserted twice (by two replicas of this service, each of which hears it) or an
   * older one arriving late changes nothing that a reader using FINAL sees.
   */
  async insert(report: FleetReport): Promise<void> {
    await this.ch.insert({
      table: 'fleet_hourly',
      format: 'JSONEachRow',
      values: report.rows.map((r) => ({
        // Epoch seconds: a DateTime string would be read in the server's time zone.
        hour: Date.parse(r.hour) / 1000,
        location: r.location,
        redemptions: r.redemptions,
        reused: r.reused,
        no_capacity: r.noCapacity,
        invalid: r.invalid,
        load_sum: r.loadSum,
        load_samples: r.loadSamples,
        version: report.version,
      })),
    });
  }
}
