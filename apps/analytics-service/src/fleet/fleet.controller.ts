import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Clock, Patterns } from '@phoenix/common';
import { parseFleetReport } from './fleet-report';
import { FleetRepository } from './fleet.repository';

/**
 * Stores config-service's fleet totals (`analytics.fleet.report`, an event: nobody waits for an
 * answer). A report that breaks the rules of {@link parseFleetReport} is dropped and logged; one
 * that cannot be stored is logged and lost — the next report, a minute later, carries the same
 * totals or newer ones.
 */
@Controller()
export class FleetController {
  private readonly logger = new Logger('FleetReports');

  constructor(
    private readonly fleet: FleetRepository,
    private readonly clock: Clock,
  ) {}

  @EventPattern(Patterns.ANALYTICS_FLEET_REPORT)
  async report(@Payload() data: unknown): Promise<void> {
    const parsed = parseFleetReport(data, this.clock.nowMs());
    if (!parsed.ok) {
      this.logger.warn({ msg: 'fleet report dropped', problems: parsed.problems });
      return;
    }
    try {
      await this.fleet.insert(parsed.report);
    } catch (e) {
      this.logger.warn({ msg: 'fleet report not stored', rows: parsed.report.rows.length, error: (e as Error).message });
    }
  }
}
