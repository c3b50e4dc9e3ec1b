import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { InjectConfig } from '@phoenix/common';
import { CLICKHOUSE, createClickHouse } from '@phoenix/database';
import { serverLabel, storageServers, storageTable, verifyClusterMembers } from '../cluster/clickhouse-cluster';
import type { AnalyticsConfig } from '../config';
import { Partition, RETAINED_TABLES, RetainedTable } from './expired-partitions';

/** A partition of a retained table on one server (`host:port`; on one server, CLICKHOUSE_URL's). */
export interface ServerPartition extends Partition {
  server: string;
}

/**
 * ClickHouse's partitions of the retained tables, in the service's own database, on every server
 * that stores rows: CLICKHOUSE_URL's, or on a cluster each server of CLICKHOUSE_CLUSTER_URLS with its
 * local tables (`telemetry_local`, …: a Distributed table has no partitions to drop, and `ON CLUSTER`
 * needs ZooKeeper). Partitions are reported by the retained (logical) table's name.
 */
@Injectable()
export class RetentionRepository implements OnApplicationShutdown {
  private readonly servers: Array<{ server: string; ch: ClickHouseClient; own: boolean }>;
  /** Storage table → retained table. */
  private readonly retainedOf: Map<string, RetainedTable>;

  constructor(
    @InjectConfig() private readonly config: AnalyticsConfig,
    @Inject(CLICKHOUSE) ch: ClickHouseClient,
  ) {
    this.servers =
      config.CLICKHOUSE_CLUSTER === undefined
        ? [{ server: serverLabel(config.CLICKHOUSE_URL), ch, own: false }]
        : storageServers(config).map((url) => ({ server: serverLabel(url), ch: createClickHouse(url), own: true }));
    this.retainedOf = new Map(RETAINED_TABLES.map((t) => [storageTable(config, t), t]));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.servers.filter((s) => s.own).map((s) => s.ch.close()));
  }

  /**
   * Active partitions of every retained table on every server, with their rows (before
   * ReplacingMergeTree merges); on a cluster, once the servers are checked to be exactly the
   * cluster's. The names are our constants, inlined: ClickHouse 18.16 has no query
   * parameters.
   */
  async partitions(): Promise<ServerPartition[]> {
    // A server missing from CLICKHOUSE_CLUSTER_URLS would keep its rows forever: check first.
    if (this.config.CLICKHOUSE_CLUSTER !== undefined) await verifyClusterMembers(this.config.CLICKHOUSE_CLUSTER, storageServers(this.config));
    const tables = [...this.retainedOf.keys()].map((t) => `'${t}'`).join(', ');
    const result: ServerPartition[] = [];
    for (const { server, ch } of this.servers) {
      const rs = await ch.query({
        query: `SELECT table, partition_id AS id, sum(rows) AS rows FROM system.parts
                WHERE database = currentDatabase() AND active AND table IN (${tables})
                GROUP BY table, partition_id ORDER BY table, partition_id`,
        format: 'JSONEachRow',
      });
      for (const r of await rs.json<{ table: string; id: string; rows: string }>()) {
        result.push({ server, table: this.retainedOf.get(r.table) as RetainedTable, id: r.id, rows: Number(r.rows) });
      }
    }
    return result;
  }

  /** Drops one partition on its server (nothing happens when it is already gone). */
  async drop(p: ServerPartition): Promise<void> {
    const target = this.servers.find((s) => s.server === p.server);
    if (!target || !/^\d{6}$/.test(p.id) || !(RETAINED_TABLES as readonly string[]).includes(p.table)) throw new Error(`refusing to drop ${p.table} partition ${p.id}`);
    await target.ch.command({ query: `ALTER TABLE ${storageTable(this.config, p.table)} DROP PARTITION ID '${p.id}'` });
  }
}
