-- The analytics schema on a sharded ClickHouse cluster, WITHOUT replication: each shard is one
-- server whose local tables hold its share of the rows; losing a server loses its share. For
-- development and the two-shard suite (no ZooKeeper needed); production runs ../replicated/.
-- Applied to every server of the cluster by `npm run migrate:clickhouse` with CLICKHOUSE_CLUSTER
-- set (apps/analytics-service/README.md "Sharded ClickHouse"), which fills in ${cluster} and
-- ${database}: a literal database, since 18.16 evaluates currentDatabase() in an engine's
-- arguments again at every server start, in the default database.
--
-- `telemetry_local` and `fleet_hourly_local` are ../../migrations/002_telemetry.sql's tables
-- column for column, with the same engines, partitions and sorting keys. `telemetry` and
-- `fleet_hourly` are Distributed tables of the same columns over them, on every server: the service
-- writes to and reads from those, with the same SQL as on a single server.
--
-- Sharding keys keep every copy of a row on one shard, so FINAL on each shard (forwarded there by
-- the Distributed table) still collapses them:
-- - telemetry by `row_key`: a batch inserted again after a crash or a takeover carries the same
--   row keys (the ingest queue derives them from the batch's nonce), so each copy lands beside the
--   first. row_key is already uniform (8 bytes of SHA-256): taken modulo the shards' total weight.
-- - fleet_hourly by cityHash64(hour, location): every report of one (hour, location) — the rows
--   ReplacingMergeTree(version) chooses the latest of — lands on one shard.

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
) ENGINE = ReplacingMergeTree()
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
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, location);

CREATE TABLE IF NOT EXISTS fleet_hourly AS fleet_hourly_local
ENGINE = Distributed(${cluster}, ${database}, fleet_hourly_local, cityHash64(hour, location));
