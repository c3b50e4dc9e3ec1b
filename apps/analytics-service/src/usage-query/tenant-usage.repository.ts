import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TenantUsageQuery, TenantUsageQueryReply } from '@phoenix/common';
import { CLICKHOUSE } from '@phoenix/database';

interface StoredDay {
  day: string;
  connections: number | string;
  connection_seconds: number | string;
  bytes: number | string;
}

/** The read side of `tenant_usage_daily` (written by the `analytics.tenant.usage` reports). */
@Injectable()
export class TenantUsageRepository {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseClient) {}

  /**
   * One tenant's days in `query`'s range, one row per day that has data, ordered by day. The table
   * is a ReplacingMergeTree(version) on (tenant_id, day): FINAL gives the latest report of each day
   * before the background merge has run. ClickHouse 18.16 has no server-side query parameters: the
   * values inlined are a lowercase UUID and two `YYYY-MM-DD` dates that
   * {@link parseTenantUsageQuery} let through, nothing else.
   */
  async days(query: TenantUsageQuery): Promise<TenantUsageQueryReply['rows']> {
    const rs = await this.ch.query({
      // `day` as it is (JSON writes a Date as YYYY-MM-DD): an alias named `day` would replace the
      // column in WHERE too (ClickHouse resolves aliases there).
      query: `SELECT day, connections, connection_seconds, bytes
                FROM tenant_usage_daily FINAL
               WHERE tenant_id = '${query.tenantId}' AND day BETWEEN toDate('${query.from}') AND toDate('${query.to}')
               ORDER BY day`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const rows = await rs.json<StoredDay>();
    return rows.map((r) => ({ day: r.day, connections: Number(r.connections), connectionSeconds: Number(r.connection_seconds), bytes: Number(r.bytes) }));
  }
}
