import { type TenantUsageQuery, parseDayRange } from '@phoenix/common';

/** The longest range one `analytics.tenant-usage.query` may ask for (days, both ends included). */
export const TENANT_USAGE_MAX_DAYS = 366;

/** A tenant id as auth-service makes them (`randomUUID()`): lowercase UUID, nothing else. */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type ParsedTenantUsageQuery = { ok: true; query: TenantUsageQuery } | { ok: false; problem: string };

/**
 * Checks the payload of `analytics.tenant-usage.query`: exactly `tenantId` (a lowercase UUID),
 * `from` and `to` (whole UTC days, `from` ≤ `to`, at most {@link TENANT_USAGE_MAX_DAYS}). Only what
 * passes reaches the SQL — ClickHouse 18.16 has no query parameters, so these strict shapes are what
 * make inlining them safe.
 */
export function parseTenantUsageQuery(payload: unknown): ParsedTenantUsageQuery {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, problem: 'the query must be an object' };
  const p = payload as Record<string, unknown>;
  const extra = Object.keys(p).filter((k) => k !== 'tenantId' && k !== 'from' && k !== 'to');
  if (extra.length > 0) return { ok: false, problem: `unknown field: ${extra.sort().join(', ')}` };
  if (typeof p.tenantId !== 'string' || !TENANT_ID.test(p.tenantId)) return { ok: false, problem: 'tenantId must be a lowercase UUID' };
  const range = parseDayRange(p.from, p.to, TENANT_USAGE_MAX_DAYS);
  if (!range.ok) return range;
  return { ok: true, query: { tenantId: p.tenantId, from: range.from, to: range.to } };
}
