import { Controller, Inject, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Clock, METRICS_REGISTRY, Patterns, ServiceMetrics } from '@phoenix/common';
import { Counter } from 'prom-client';
import { parseTenantUsageReport } from './tenant-usage-report';
import { TenantUsageWriter } from './tenant-usage.writer';

/**
 * Stores config-service's tenant usage (`analytics.tenant.usage`, an event: nobody waits for an
 * answer). A report that breaks the rules of {@link parseTenantUsageReport} is dropped, logged
 * (paths and messages only) and counted; one that cannot be stored is logged, counted and lost —
 * the next report, a minute later, carries the same totals of the current and previous day or newer.
 */
@Controller()
export class TenantUsageController {
  private readonly logger = new Logger('TenantUsageReports');
  private readonly reports: Counter<'outcome'>;

  constructor(
    private readonly writer: TenantUsageWriter,
    private readonly clock: Clock,
    @Inject(METRICS_REGISTRY) metrics: ServiceMetrics,
  ) {
    this.reports = new Counter({
      name: 'analytics_tenant_usage_reports_total',
      help: 'analytics.tenant.usage reports: stored, dropped (malformed) or failed (ClickHouse refused)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
  }

  @EventPattern(Patterns.ANALYTICS_TENANT_USAGE)
  async report(@Payload() data: unknown): Promise<void> {
    const parsed = parseTenantUsageReport(data, this.clock.nowMs());
    if (!parsed.ok) {
      this.reports.inc({ outcome: 'dropped' });
      this.logger.warn({ msg: 'tenant usage report dropped', problems: parsed.problems });
      return;
    }
    try {
      await this.writer.insert(parsed.report);
      this.reports.inc({ outcome: 'stored' });
    } catch (e) {
      this.reports.inc({ outcome: 'failed' });
      this.logger.warn({ msg: 'tenant usage report not stored', rows: parsed.report.rows.length, error: (e as Error).message });
    }
  }
}
