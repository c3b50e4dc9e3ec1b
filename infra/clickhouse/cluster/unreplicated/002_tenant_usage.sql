-- Tenant usage per UTC day on a sharded cluster WITHOUT replication (see 001_telemetry.sql):
-- `tenant_usage_daily_local` is ../../migrations/003_tenant_usage.sql's table column for column,
-- with the same engine and sorting key; `tenant_usage_daily` is a Distributed table over it on
-- every server, which the service writes to and reads from with the same SQL as on one server.
-- Sharded by cityHash64(tenant_id): every report of one (tenant_id, day) — the rows
-- ReplacingMergeTree(version) chooses the latest of — lands on one shard, so FINAL (forwarded to
-- each shard) still collapses them; and one tenant's days, which a usage query reads, lie together.

CREATE TABLE IF NOT EXISTS tenant_usage_daily_local (
    day Date,
    tenant_id String,
    connections UInt64,
    connection_seconds UInt64,
    bytes UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant_id, day);

CREATE TABLE IF NOT EXISTS tenant_usage_daily AS tenant_usage_daily_local
ENGINE = Distributed(${cluster}, ${database}, tenant_usage_daily_local, cityHash64(tenant_id));
