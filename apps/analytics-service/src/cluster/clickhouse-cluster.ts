/**
 * Sharded ClickHouse (README "Sharded ClickHouse"): the settings that switch the service from one
 * server to a cluster's Distributed tables, and what the cluster needs besides reads and writes —
 * the schema applied on every server, and the servers retention drops partitions on.
 *
 * The service itself reads and writes the same table names either way: on a cluster `telemetry` and
 * `fleet_hourly` are Distributed tables over each shard's `telemetry_local` and `fleet_hourly_local`
 * (infra/clickhouse/cluster/), sharded so that every copy of a row lands on one shard, where FINAL
 * collapses it.
 */
import path from 'node:path';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { type ConfigRules, env } from '@phoenix/common';
import { createClickHouse, runClickHouseMigrations } from '@phoenix/database';
import { z } from 'zod';

/** A `<remote_servers>` cluster name or a database name: put into DDL as it is, so a plain identifier. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const httpUrl = env.url(['http:', 'https:']);

export const CLUSTER_SCHEMAS = ['replicated', 'unreplicated'] as const;
export type ClusterSchema = (typeof CLUSTER_SCHEMAS)[number];

/** The ClickHouse settings of analytics-service (and of `npm run migrate:clickhouse`). */
export const clickHouseShape = {
  /** Where the service reads and writes: the server, or on a cluster any of its servers (or a balancer in front of them). */
  CLICKHOUSE_URL: httpUrl,
  /**
   * The cluster, by its `<remote_servers>` name: set, the service uses the cluster schema
   * (Distributed tables over every shard). Unset: one server, the default.
   */
  CLICKHOUSE_CLUSTER: z.string().regex(IDENTIFIER, { message: 'must be a cluster name: a letter or _, then letters, digits or _' }).optional(),
  /**
   * Every server of the cluster (every replica of every shard), comma-separated HTTP URLs with the
   * database of CLICKHOUSE_URL: migrations run on each, and retention drops partitions on each.
   */
  CLICKHOUSE_CLUSTER_URLS: z
    .string()
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(httpUrl).min(1, { message: 'must list at least one URL' }))
    .optional(),
  /** Which cluster schema the migrations apply: `replicated` (production; needs ZooKeeper) or `unreplicated`. */
  CLICKHOUSE_CLUSTER_SCHEMA: z.enum(CLUSTER_SCHEMAS).default('replicated'),
};

export type ClickHouseConfig = z.infer<z.ZodObject<typeof clickHouseShape>>;

/** The database a ClickHouse URL names (`default` without one). */
export function databaseOf(url: string): string {
  const p = new URL(url).pathname;
  return p.length > 1 ? decodeURIComponent(p.slice(1)) : 'default';
}

/** `host:port` of a URL: how a server is named in errors and logs (never its credentials). */
export function serverLabel(url: string): string {
  return new URL(url).host;
}

/** The rules that span the ClickHouse variables: a cluster needs its servers, all on one database. */
export const clickHouseRules: ConfigRules<ClickHouseConfig> = (c) => {
  const problems: string[] = [];
  if (c.CLICKHOUSE_CLUSTER === undefined) {
    if (c.CLICKHOUSE_CLUSTER_URLS !== undefined) problems.push('CLICKHOUSE_CLUSTER_URLS: set without CLICKHOUSE_CLUSTER');
    return problems;
  }
  if (c.CLICKHOUSE_CLUSTER_URLS === undefined) return ['CLICKHOUSE_CLUSTER_URLS: is required with CLICKHOUSE_CLUSTER (every server of the cluster)'];
  const database = databaseOf(c.CLICKHOUSE_URL);
  if (!IDENTIFIER.test(database)) problems.push('CLICKHOUSE_URL: on a cluster the database must be a plain identifier (letters, digits, _)');
  const servers = c.CLICKHOUSE_CLUSTER_URLS.map(serverLabel);
  if (new Set(servers).size !== servers.length) problems.push('CLICKHOUSE_CLUSTER_URLS: names a server twice');
  if (c.CLICKHOUSE_CLUSTER_URLS.some((u) => databaseOf(u) !== database)) {
    problems.push(`CLICKHOUSE_CLUSTER_URLS: every URL must name CLICKHOUSE_URL's database (${database})`);
  }
  return problems;
};

/**
 * Settings of the service's client. On a cluster, an INSERT into a Distributed table returns only
 * once every shard has its rows (`insert_distributed_sync`): otherwise 18.16 answers as soon as the
 * rows are queued on the receiving server's disk, and the inserter would acknowledge (and delete)
 * queued batches that one lost server could still take with it. A failed INSERT may have reached
 * some shards; the inserter retries it whole, and the copies collapse under FINAL.
 */
export function clickHouseSettings(c: ClickHouseConfig): ClickHouseSettings | undefined {
  return c.CLICKHOUSE_CLUSTER === undefined ? undefined : { insert_distributed_sync: 1 };
}

/** The table that stores `table`'s rows on each server: itself on one server, `<table>_local` on a cluster. */
export function storageTable(c: ClickHouseConfig, table: string): string {
  return c.CLICKHOUSE_CLUSTER === undefined ? table : `${table}_local`;
}

/** The servers that hold rows: CLICKHOUSE_URL alone, or every server of the cluster. */
export function storageServers(c: ClickHouseConfig): string[] {
  return c.CLICKHOUSE_CLUSTER_URLS && c.CLICKHOUSE_CLUSTER !== undefined ? c.CLICKHOUSE_CLUSTER_URLS : [c.CLICKHOUSE_URL];
}

/** A server of the cluster and its place in it. */
export interface ClusterMember {
  url: string;
  shard: number;
  replica: number;
}

/**
 * Checks that `urls` are exactly the servers of `cluster`, each once: every server must know the
 * cluster the same way and find itself in it (`is_local`), and together they must cover every
 * replica of every shard. Retention and migrations on a cluster act on each server in turn, so a
 * server left out would keep its rows or miss its tables.
 * @throws naming the server and what is wrong
 */
export async function verifyClusterMembers(cluster: string, urls: string[]): Promise<ClusterMember[]> {
  if (!IDENTIFIER.test(cluster)) throw new Error('a cluster name is a letter or _, then letters, digits or _');
  let expected: string | undefined;
  const members: ClusterMember[] = [];
  for (const url of urls) {
    const ch = createClickHouse(url);
    try {
      const rs = await ch.query({
        query: `SELECT shard_num AS shard, replica_num AS replica, is_local AS local FROM system.clusters WHERE cluster = '${cluster}' ORDER BY shard, replica`,
        format: 'JSONEachRow',
      });
      const rows = (await rs.json<{ shard: number | string; replica: number | string; local: number | string }>()).map((r) => ({ shard: Number(r.shard), replica: Number(r.replica), local: Number(r.local) === 1 }));
      if (rows.length === 0) throw new Error(`ClickHouse server ${serverLabel(url)} has no cluster ${cluster} in its <remote_servers>`);
      const layout = rows.map((r) => `${r.shard}.${r.replica}`).join(' ');
      if (expected === undefined) expected = layout;
      else if (layout !== expected) throw new Error(`ClickHouse server ${serverLabel(url)} lists cluster ${cluster} otherwise than ${serverLabel(urls[0])} (shard.replica: ${layout} vs ${expected})`);
      const self = rows.filter((r) => r.local);
      if (self.length !== 1) throw new Error(`ClickHouse server ${serverLabel(url)} is ${self.length === 0 ? 'not one' : 'more than one'} of the servers of cluster ${cluster} (is_local)`);
      members.push({ url, shard: self[0].shard, replica: self[0].replica });
    } finally {
      await ch.close();
    }
  }
  const seen = new Set(members.map((m) => `${m.shard}.${m.replica}`));
  if (seen.size !== members.length) throw new Error(`CLICKHOUSE_CLUSTER_URLS names one server of cluster ${cluster} twice`);
  const missing = (expected ?? '').split(' ').filter((sr) => !seen.has(sr));
  if (missing.length > 0) throw new Error(`CLICKHOUSE_CLUSTER_URLS leaves out server(s) ${missing.join(', ')} (shard.replica) of cluster ${cluster}`);
  return members;
}

/** The migrations of a schema: the single-server ones, or a cluster variant (infra/clickhouse/cluster/). */
export function migrationsDir(root: string, c: ClickHouseConfig): string {
  return c.CLICKHOUSE_CLUSTER === undefined ? path.join(root, 'infra/clickhouse/migrations') : path.join(root, 'infra/clickhouse/cluster', c.CLICKHOUSE_CLUSTER_SCHEMA);
}

/**
 * Applies the schema: on one server its migrations; on a cluster, once the servers check out
 * ({@link verifyClusterMembers}), the cluster variant on every server in turn, with its cluster and
 * database filled in. Each server records what it applied, so a run cut off half-way is run again.
 * @returns per server (`host:port`), the migrations applied now
 */
export async function migrateClickHouse(c: ClickHouseConfig, dir: string): Promise<Array<{ server: string; applied: string[] }>> {
  const urls = storageServers(c);
  if (c.CLICKHOUSE_CLUSTER !== undefined) await verifyClusterMembers(c.CLICKHOUSE_CLUSTER, urls);
  const vars = c.CLICKHOUSE_CLUSTER === undefined ? undefined : { cluster: c.CLICKHOUSE_CLUSTER, database: databaseOf(c.CLICKHOUSE_URL) };
  const result: Array<{ server: string; applied: string[] }> = [];
  for (const url of urls) {
    const ch: ClickHouseClient = createClickHouse(url);
    try {
      result.push({ server: serverLabel(url), applied: await runClickHouseMigrations(ch, dir, vars) });
    } finally {
      await ch.close();
    }
  }
  return result;
}
