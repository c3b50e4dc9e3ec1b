import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TenantUsageReport } from '@phoenix/common';
import { CLICKHOUSE } from '@phoenix/database';

/** The write side of `tenant_usage_daily` (infra/clickhouse/migrations/003_tenant_usage.sql). */
@Injectable()
export class TenantUsageWriter {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseClient) {}

  /**
   * Inserts every row of a report with the report's version. `tenant_usage_daily` is a
   * ReplacingMergeTree(version) on (tenant_id, day): the row of the highest version wins, so the
   * same report inserted twice (every replica of this service hears it, and every replica of
   * config-service sends it) or an older one arriving late changes nothing a reader using FINAL sees.
   */
  async insert(report: TenantUsageReport): Promise<void> {
    await this.ch.insert({
      table: 'tenant_usage_daily',
      format: 'JSONEachRow',
      values: report.rows.map((r) => ({
        day: r.day,
        tenant_id: r.tenantId,
        connections: r.connections,
        connection_seconds: r.connectionSeconds,
        bytes: r.bytes,
        version: report.version,
      })),
    });
  }
}
