import { parseTenantUsageQuery } from './tenant-usage-query';

const TENANT = '0b7f3c1e-5a2d-4c8e-9f10-112233445566';

describe('parseTenantUsageQuery (analytics.tenant-usage.query)', () => {
  it('takes a tenant id and whole days, at most 366 of them', () => {
    expect(parseTenantUsageQuery({ tenantId: TENANT, from: '2026-11-01', to: '2026-11-30' })).toEqual({ ok: true, query: { tenantId: TENANT, from: '2026-11-01', to: '2026-11-30' } });
    expect(parseTenantUsageQuery({ tenantId: TENANT, from: '2028-01-01', to: '2028-12-31' }).ok).toBe(true);
    expect(parseTenantUsageQuery({ tenantId: TENANT, from: '2026-01-01', to: '2027-01-02' })).toEqual({ ok: false, problem: 'the range spans 367 days; at most 366' });
  });

  // Whatever reaches the SQL is inlined (ClickHouse 18.16 has no query parameters): only these shapes pass.
  it.each<[string, unknown]>([
    ['a quote in the tenant id', { tenantId: `${TENANT}' OR 1=1 --`, from: '2026-11-01', to: '2026-11-30' }],
    ['an uppercase tenant id', { tenantId: TENANT.toUpperCase(), from: '2026-11-01', to: '2026-11-30' }],
    ['a tenant id that is no UUID', { tenantId: 'acme', from: '2026-11-01', to: '2026-11-30' }],
    ['a numeric tenant id', { tenantId: 7, from: '2026-11-01', to: '2026-11-30' }],
    ['a SQL date', { tenantId: TENANT, from: "2026-11-01') OR ('1'='1", to: '2026-11-30' }],
    ['from after to', { tenantId: TENANT, from: '2026-11-02', to: '2026-11-01' }],
    ['a missing to', { tenantId: TENANT, from: '2026-11-01' }],
    ['an extra field (a user)', { tenantId: TENANT, from: '2026-11-01', to: '2026-11-30', userId: 'u-1' }],
    ['a list', [TENANT, '2026-11-01', '2026-11-30']],
    ['a string', 'tenant'],
    ['null', null],
  ])('refuses %s', (_name, payload) => {
    expect(parseTenantUsageQuery(payload).ok).toBe(false);
  });
});
