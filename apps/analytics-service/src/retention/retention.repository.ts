import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE } from '@phoenix/database';
import { Partition, RETAINED_TABLES } from './expired-partitions';

/** ClickHouse's partitions of the retained tables, in the service's own database. */
@Injectable()
export class RetentionRepository {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseClient) {}

  /**
   * Active partitions of every retained table, with their rows (before ReplacingMergeTree merges).
   * The names are our constants, inlined: ClickHouse 18.16 has no query parameters.
   */
  async partitions(): Promise<Partition[]> {
    const rs = await this.ch.query({
      query: `SELECT table, partition_id AS id, sum(rows) AS rows FROM system.parts
              WHERE database = currentDatabase() AND active AND table IN (${RETAINED_TABLES.map((t) => `'${t}'`).join(', ')})
              GROUP BY table, partition_id ORDER BY table, partition_id`,
      format: 'JSONEachRow',
    });
    return (await rs.json<{ table: string; id: string; rows: string }>()).map((r) => ({ table: r.table, id: r.id, rows: Number(r.rows) }));
  }

  /** Drops one partition (nothing happens when it is already gone). */
  async drop(p: Partition): Promise<void> {
    if (!/^\d{6}$/.test(p.id) || !(RETAINED_TABLES as readonly string[]).includes(p.table)) throw new Error(`refusing to drop ${p.table} partition ${p.id}`);
    await this.ch.command({ query: `ALTER TABLE ${p.table} DROP PARTITION ID '${p.id}'` });
  }
}
