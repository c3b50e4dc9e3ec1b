-- Tenant usage per UTC day (B2B metering, API.md "B2B tenants"): config-service's running totals
-- of each tenant's day, sent as `analytics.tenant.usage` reports with their read time as
-- `version`; ReplacingMergeTree(version) keeps the latest report per (tenant_id, day) — read with
-- FINAL. A tenant id (lowercase UUID), a day and numbers: nothing per user, device, lease or node.
-- Not partitioned by month and left alone by retention: it is what tenants are billed on.

CREATE TABLE IF NOT EXISTS tenant_usage_daily (
    day Date,
    tenant_id String,
    connections UInt64,
    connection_seconds UInt64,
    bytes UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant_id, day);
