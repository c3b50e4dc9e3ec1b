-- The analytics schema on a sharded and replicated ClickHouse cluster (production): each shard is
-- two or more replicas of ReplicatedReplacingMergeTree tables kept in step through ZooKeeper
-- (or ClickHouse Keeper), which every server must be configured with, as with the macros {shard}
-- (the same on every replica of a shard) and {replica} (unique within it), and a <remote_servers>
-- cluster listing every replica of every shard with <internal_replication>true</internal_replication>
-- (a Distributed insert writes one replica per shard; replication copies it to the others).
-- Applied to every server of the cluster (every replica: DDL is not replicated without ON CLUSTER)
-- by `npm run migrate:clickhouse` with CLICKHOUSE_CLUSTER set and CLICKHOUSE_CLUSTER_SCHEMA=replicated
-- (apps/analytics-service/README.md "Sharded ClickHouse"), which fills in ${cluster} and ${database}.
--
-- The same tables, columns, partitions, sorting and sharding keys as ../unreplicated/ (see there
-- why the keys are what they are); the two-shard suite checks that 18.16 accepts every statement
-- up to the point where it needs ZooKeeper, and that the tables come out the same.

CREATE TABLE IF NOT EXISTS telemetry_local (
    hour DateTime,
    type String,
    platform String,
    app_version String,
    location String,
    outcome String,
    failure_reason String,
    handshake_ms Nullable(UInt32),
    down_mbps Float64,
    up_mbps Float64,
    duration_bucket String,
    transfer_bucket String,
    mb_blocked Float64,
    requests_blocked UInt32,
    time_saved_sec UInt32,
    row_key UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${database}/telemetry_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (type, hour, location, row_key);

CREATE TABLE IF NOT EXISTS telemetry AS telemetry_local
ENGINE = Distributed(${cluster}, ${database}, telemetry_local, row_key);

CREATE TABLE IF NOT EXISTS fleet_hourly_local (
    hour DateTime,
    location String,
    redemptions UInt64,
    reused UInt64,
    no_capacity UInt64,
    invalid UInt64,
    load_sum Float64,
    load_samples UInt64,
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${database}/fleet_hourly_local', '{replica}', version)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, location);

CREATE TABLE IF NOT EXISTS fleet_hourly AS fleet_hourly_local
ENGINE = Distributed(${cluster}, ${database}, fleet_hourly_local, cityHash64(hour, location));
