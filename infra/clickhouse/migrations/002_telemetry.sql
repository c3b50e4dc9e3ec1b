-- Anonymous telemetry (API.md "analytics-service"), replacing 001's `events`, which nothing ever
-- wrote to (ingest did not exist yet). Dropping it is safe to run again: it names the old table only.
DROP TABLE IF EXISTS events;

-- One row per accepted client event. No IP address, no user, device, session or batch id: only the
-- event's own coarse fields, its type and the hour it happened in.
--
-- `row_key` makes a retried insert idempotent (ClickHouse 18.16 has no insert_deduplication_token):
-- the ingest queue derives it from a random nonce stored with the queued batch and the event's index
-- in it (sha256(nonce ‖ index), first 8 bytes). A batch inserted again after a crash between insert
-- and acknowledge gets the same keys, and ReplacingMergeTree keeps one row per sorting key; readers
-- query with FINAL so the answer is exact before the background merge runs. The nonce is deleted
-- with the queued batch, so rows of one batch share nothing that links them.
--
-- Monthly partitions: retention drops whole partitions (18.16 has no TTL). ORDER BY serves every
-- panel: each reads one type over a range of hours, grouped by location or a bucket.
CREATE TABLE IF NOT EXISTS telemetry (
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

-- Server-side fleet figures per location and hour (the `fleet` panel), reported by config-service
-- over the Redis transport as running totals: redemption outcomes and the sum and count of node load
-- samples. Each report replaces the previous one for its (hour, location): ReplacingMergeTree keeps
-- the row with the highest `version` (the report's time in ms), so resending totals is harmless.
CREATE TABLE IF NOT EXISTS fleet_hourly (
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
