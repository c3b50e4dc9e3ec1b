-- Tenant usage per UTC day on a sharded, replicated cluster (production; see 001_telemetry.sql):
-- `tenant_usage_daily_local` is ../../migrations/003_tenant_usage.sql's table column for column,
-- replicated within its shard; `tenant_usage_daily` is a Distributed table over it on every
-- server. Sharded by cityHash64(tenant_id): every report of one (tenant_id, day) lands on one
-- shard, so FINAL still collapses them, and one tenant's days lie together.

CREATE TABLE IF NOT EXISTS tenant_usage_daily_local (
    day Date,
    tenant_id String,
    connections UInt64,
    connection_seconds UInt64,
    bytes UInt64,
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${database}/tenant_usage_daily_local', '{replica}', version)
ORDER BY (tenant_id, day);

CREATE TABLE IF NOT EXISTS tenant_usage_daily AS tenant_usage_daily_local
ENGINE = Distributed(${cluster}, ${database}, tenant_usage_daily_local, cityHash64(tenant_id));
