import path from 'node:path';
import { ConfigError } from '@phoenix/common';
import { loadAnalyticsConfig } from '../config';
import { clickHouseSettings, databaseOf, migrationsDir, storageServers, storageTable } from './clickhouse-cluster';

const base = { CLICKHOUSE_URL: 'http://127.0.0.1:8123/phoenix', REDIS_URL: 'redis://127.0.0.1:6379' };
const cluster = { CLICKHOUSE_CLUSTER: 'analytics', CLICKHOUSE_CLUSTER_URLS: 'http://ch-1:8123/phoenix, http://u:p%40ss@ch-2:8123/phoenix' };

describe('ClickHouse cluster settings', () => {
  it('is one server by default: the shipped migrations, the tables themselves, no settings', () => {
    const c = loadAnalyticsConfig(base);
    expect(c.CLICKHOUSE_CLUSTER).toBeUndefined();
    expect(clickHouseSettings(c)).toBeUndefined();
    expect(storageTable(c, 'telemetry')).toBe('telemetry');
    expect(storageServers(c)).toEqual(['http://127.0.0.1:8123/phoenix']);
    expect(migrationsDir('/app', c)).toBe(path.join('/app', 'infra/clickhouse/migrations'));
  });

  it('on a cluster: every server listed, local tables, synchronous Distributed inserts, the replicated schema unless told', () => {
    const c = loadAnalyticsConfig({ ...base, ...cluster });
    expect(c.CLICKHOUSE_CLUSTER_URLS).toEqual(['http://ch-1:8123/phoenix', 'http://u:p%40ss@ch-2:8123/phoenix']);
    expect(clickHouseSettings(c)).toEqual({ insert_distributed_sync: 1 });
    expect(storageTable(c, 'fleet_hourly')).toBe('fleet_hourly_local');
    expect(storageServers(c)).toHaveLength(2);
    expect(migrationsDir('/app', c)).toBe(path.join('/app', 'infra/clickhouse/cluster/replicated'));
    expect(migrationsDir('/app', loadAnalyticsConfig({ ...base, ...cluster, CLICKHOUSE_CLUSTER_SCHEMA: 'unreplicated' }))).toBe(path.join('/app', 'infra/clickhouse/cluster/unreplicated'));
    expect(databaseOf('http://ch-1:8123')).toBe('default');
  });

  it.each([
    [{ CLICKHOUSE_CLUSTER: 'analytics' }, 'CLICKHOUSE_CLUSTER_URLS: is required with CLICKHOUSE_CLUSTER'],
    [{ CLICKHOUSE_CLUSTER_URLS: 'http://ch-1:8123/phoenix' }, 'CLICKHOUSE_CLUSTER_URLS: set without CLICKHOUSE_CLUSTER'],
    [{ ...cluster, CLICKHOUSE_CLUSTER_URLS: 'http://ch-1:8123/phoenix,http://ch-2:8123/other' }, "every URL must name CLICKHOUSE_URL's database (phoenix)"],
    [{ ...cluster, CLICKHOUSE_CLUSTER_URLS: 'http://ch-1:8123/phoenix,http://x:y@ch-1:8123/phoenix' }, 'CLICKHOUSE_CLUSTER_URLS: names a server twice'],
    [{ ...cluster, CLICKHOUSE_URL: 'http://127.0.0.1:8123/phoenix-db', CLICKHOUSE_CLUSTER_URLS: 'http://ch-1:8123/phoenix-db' }, 'the database must be a plain identifier'],
    [{ ...cluster, CLICKHOUSE_CLUSTER: 'analytics; DROP' }, 'CLICKHOUSE_CLUSTER: must be a cluster name'],
    [{ ...cluster, CLICKHOUSE_CLUSTER_URLS: 'ch-1:8123' }, 'CLICKHOUSE_CLUSTER_URLS.0: must be a URL'],
    [{ ...cluster, CLICKHOUSE_CLUSTER_SCHEMA: 'zookeeper' }, 'CLICKHOUSE_CLUSTER_SCHEMA'],
  ])('refuses %j', (env, problem) => {
    expect(() => loadAnalyticsConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadAnalyticsConfig({ ...base, ...env })).toThrow(problem);
  });
});
