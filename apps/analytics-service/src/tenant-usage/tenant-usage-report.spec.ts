import { MAX_USAGE_ROWS, parseTenantUsageReport } from './tenant-usage-report';

describe('parseTenantUsageReport', () => {
  const now = Date.parse('2030-03-10T12:00:00.000Z');
  const T = '0b7e4c1e-59d4-4c8a-9d1e-7a1f4b2c3d4e';
  const row = (day: string, o: Record<string, unknown> = {}) => ({ day, tenantId: T, connections: 1, connectionSeconds: 60, bytes: 1000, ...o });

  it('accepts today, yesterday and an older day config-service still keeps (a lease that ended late re-reports it)', () => {
    const r = parseTenantUsageReport({ version: now, rows: [row('2030-03-10'), row('2030-03-09'), row('2030-02-01')] }, now);
    expect(r).toEqual({ ok: true, report: { version: now, rows: [row('2030-03-10'), row('2030-03-09'), row('2030-02-01')] } });
  });

  it('accepts a day just begun on a clock a little ahead, and refuses one past the skew', () => {
    const midnight = Date.parse('2030-03-11T00:00:00.000Z');
    expect(parseTenantUsageReport({ version: midnight, rows: [row('2030-03-11')] }, midnight - 60_000).ok).toBe(true);
    expect(parseTenantUsageReport({ version: midnight, rows: [row('2030-03-11')] }, midnight - 3_600_000).ok).toBe(false);
  });

  it('says what is wrong by path and message, never with the values sent', () => {
    const r = parseTenantUsageReport({ version: now, rows: [row('2030-03-10', { tenantId: 'alice@example.com' })] }, now);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toEqual(['rows.0.tenantId: must be a tenant id (lowercase UUID)']);
      expect(JSON.stringify(r.problems)).not.toContain('alice');
    }
  });

  it('refuses more rows than a message may carry', () => {
    const rows = Array.from({ length: MAX_USAGE_ROWS + 1 }, (_, i) => row('2030-03-10', { tenantId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
    expect(parseTenantUsageReport({ version: now, rows }, now).ok).toBe(false);
  });
});
