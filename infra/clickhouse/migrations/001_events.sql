-- Anonymous telemetry events (API.md "analytics-service"). No IP, no user or device id: only the
-- event's own coarse fields, its type and the hour it happened in.
-- Plain MergeTree with PARTITION BY / ORDER BY: accepted by ClickHouse 18.16 and current releases.
-- Retention drops whole monthly partitions (no TTL on 18.16).
CREATE TABLE IF NOT EXISTS events (
    hour DateTime,
    type String,
    platform String,
    app_version String,
    location String,
    outcome String,
    failure_reason String,
    handshake_ms UInt32,
    down_mbps Float32,
    up_mbps Float32,
    duration_bucket String,
    transfer_bucket String,
    mb_blocked Float32,
    requests_blocked UInt32,
    time_saved_sec UInt32
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (type, hour);
