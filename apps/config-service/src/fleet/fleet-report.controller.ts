import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { Patterns } from '@phoenix/common';
import { FleetReporter } from './fleet-reporter';

/** What a `network.fleet.report` run sent, for job-worker's log and Bull Board: row counts only. */
export interface FleetReportResult {
  fleetRows: number;
  tenantUsageRows: number;
}

/**
 * job-worker's `network.fleet.report` command (every replica receives it; each sends the shared
 * totals, which analytics-service dedupes by version — safe to run again for any period).
 */
@Controller()
export class FleetReportController {
  constructor(private readonly reporter: FleetReporter) {}

  @MessagePattern(Patterns.FLEET_REPORT)
  async report(): Promise<FleetReportResult> {
    const sent = await this.reporter.report();
    return { fleetRows: sent.fleet?.rows.length ?? 0, tenantUsageRows: sent.usage?.rows.length ?? 0 };
  }
}
