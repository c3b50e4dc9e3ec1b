import { Injectable, Logger } from '@nestjs/common';
import { Clock, InjectConfig } from '@phoenix/common';
import type { AnalyticsConfig } from '../config';
import { RETAINED_TABLES, RetainedTable, expiredPartitions, retentionCutoff } from './expired-partitions';
import { RetentionRepository } from './retention.repository';

/** The reply to `analytics.retention`: what this run dropped (nothing, when a run before it did). */
export interface RetentionResult {
  retentionDays: number;
  /** Hours that started before this are past retention (ISO 8601). */
  cutoff: string;
  partitionsDropped: number;
  /** Rows in the dropped partitions, as stored (a row inserted twice and not yet merged counts twice). */
  rowsDropped: number;
  tables: Record<RetainedTable, { partitions: string[]; rows: number }>;
}

/**
 * Retention by whole monthly partitions (ClickHouse 18.16 has no TTL): every partition of
 * `telemetry` and `fleet_hourly` whose newest possible hour is older than `ANALYTICS_RETENTION_DAYS`
 * is dropped. State-based: a second run of the same period (or every replica receiving the
 * command) finds nothing left to drop.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger('Retention');

  constructor(
    @InjectConfig() private readonly config: AnalyticsConfig,
    private readonly clock: Clock,
    private readonly repository: RetentionRepository,
  ) {}

  async enforce(): Promise<RetentionResult> {
    const now = this.clock.nowMs();
    const days = this.config.ANALYTICS_RETENTION_DAYS;
    const expired = expiredPartitions(await this.repository.partitions(), now, days);
    const tables = Object.fromEntries(RETAINED_TABLES.map((t) => [t, { partitions: [] as string[], rows: 0 }])) as RetentionResult['tables'];
    for (const p of expired) {
      await this.repository.drop(p);
      const t = tables[p.table as RetainedTable];
      t.partitions.push(p.id);
      t.rows += p.rows;
    }
    const result: RetentionResult = {
      retentionDays: days,
      cutoff: new Date(retentionCutoff(now, days)).toISOString(),
      partitionsDropped: expired.length,
      rowsDropped: expired.reduce((n, p) => n + p.rows, 0),
      tables,
    };
    if (expired.length > 0) {
      this.logger.log(`dropped ${expired.length} partition(s) past ${days} days: ${RETAINED_TABLES.map((t) => `${t} [${tables[t].partitions.join(', ')}]`).join(', ')}`);
    }
    return result;
  }
}
