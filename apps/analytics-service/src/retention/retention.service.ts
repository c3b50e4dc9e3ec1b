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
  /** Rows in the dropped partitions, as stored (a row inserted twice and not yet merged counts twice; on a cluster, summed over its servers, each replica's copy included). */
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
    // On a cluster, each server's share of a month is a partition of its own: dropped one by one.
    const expired = expiredPartitions(await this.repository.partitions(), now, days);
    const tables = Object.fromEntries(RETAINED_TABLES.map((t) => [t, { partitions: [] as string[], rows: 0 }])) as RetentionResult['tables'];
    for (const p of expired) {
      await this.repository.drop(p);
      const t = tables[p.table as RetainedTable];
      if (!t.partitions.includes(p.id)) t.partitions.push(p.id);
      t.rows += p.rows;
    }
    for (const t of RETAINED_TABLES) tables[t].partitions.sort();
    const dropped = RETAINED_TABLES.reduce((n, t) => n + tables[t].partitions.length, 0);
    const result: RetentionResult = {
      retentionDays: days,
      cutoff: new Date(retentionCutoff(now, days)).toISOString(),
      partitionsDropped: dropped,
      rowsDropped: expired.reduce((n, p) => n + p.rows, 0),
      tables,
    };
    if (dropped > 0) {
      const servers = new Set(expired.map((p) => p.server)).size;
      this.logger.log(`dropped ${dropped} partition(s) past ${days} days${servers > 1 ? ` on ${servers} servers` : ''}: ${RETAINED_TABLES.map((t) => `${t} [${tables[t].partitions.join(', ')}]`).join(', ')}`);
    }
    return result;
  }
}
