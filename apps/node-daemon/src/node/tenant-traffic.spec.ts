import { WgDump, parseWgDump } from '@phoenix/wireguard';
import { MAX_TENANTS_PER_PULSE, TenantTraffic } from './tenant-traffic';

const IFACE = ['yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=', 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=', '51820', 'off'].join('\t');
const P1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const P2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const P3 = 'gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=';
const T1 = '0b7e4c1e-59d4-4c8a-9d1e-7a1f4b2c3d4e';
const T2 = 'f3a2b1c0-1234-4abc-8def-0123456789ab';

/** A dump with these peers and rx/tx counters. */
function dump(...peers: [key: string, rx: bigint | number, tx: bigint | number][]): WgDump {
  const rows = peers.map(([key, rx, tx], i) => [key, '(none)', '(none)', `100.64.0.${i + 1}/32`, '0', String(rx), String(tx), 'off'].join('\t'));
  return parseWgDump([IFACE, ...rows].join('\n') + '\n');
}

describe('TenantTraffic: per-tenant rx+tx deltas for the pulse', () => {
  const tenants: Record<string, string | null> = { [P1]: T1, [P2]: T1, [P3]: null };
  const tenantOf = (key: string) => tenants[key];

  it('takes the first dump as the baseline, then sums each tenant peer’s growth per tenant; consumer peers are not metered', () => {
    const t = new TenantTraffic();
    expect(t.take(dump([P1, 100, 50], [P2, 10, 10], [P3, 999, 999]), tenantOf)).toEqual([]);
    expect(t.take(dump([P1, 150, 60], [P2, 10, 30], [P3, 5000, 5000]), tenantOf)).toEqual([{ tenantId: T1, bytes: 60 + 20 }]);
    // Nothing moved: nothing to send.
    expect(t.take(dump([P1, 150, 60], [P2, 10, 30], [P3, 6000, 6000]), tenantOf)).toEqual([]);
  });

  it('counts a new peer, one that came back, and one whose counter went backwards from zero; a vanished peer is forgotten', () => {
    const t = new TenantTraffic();
    t.take(dump([P1, 1000, 1000]), tenantOf);
    // P2 new; P1's counter went backwards (the interface was recreated).
    expect(t.take(dump([P1, 5, 5], [P2, 7, 3]), tenantOf)).toEqual([{ tenantId: T1, bytes: 10 + 10 }]);
    // P2 gone, then back with fresh counters.
    expect(t.take(dump([P1, 5, 5]), tenantOf)).toEqual([]);
    expect(t.take(dump([P1, 5, 5], [P2, 4, 0]), tenantOf)).toEqual([{ tenantId: T1, bytes: 4 }]);
  });

  it('keeps the tenant a peer had when first seen (a lease that just left the desired set), and sorts tenants', () => {
    const t = new TenantTraffic();
    const owner: Record<string, string | null> = { [P1]: T2, [P2]: T1 };
    t.take(dump([P1, 0, 0], [P2, 0, 0]), (k) => owner[k]);
    expect(t.take(dump([P1, 100, 0], [P2, 0, 1]), () => undefined)).toEqual([
      { tenantId: T1, bytes: 1 },
      { tenantId: T2, bytes: 100 },
    ]);
  });

  it('gives undelivered totals to the next take, and never sends more than 2^53-1 bytes or MAX_TENANTS_PER_PULSE tenants at once', () => {
    const t = new TenantTraffic();
    t.take(dump([P1, 0, 0]), tenantOf);
    const lost = t.take(dump([P1, 100, 0]), tenantOf);
    t.giveBack(lost);
    expect(t.take(dump([P1, 150, 0]), tenantOf)).toEqual([{ tenantId: T1, bytes: 150 }]);

    const huge = 2n ** 60n;
    expect(t.take(dump([P1, 150n + huge, 0]), tenantOf)).toEqual([{ tenantId: T1, bytes: Number.MAX_SAFE_INTEGER }]);
    expect(t.take(dump([P1, 150n + huge, 0]), tenantOf)).toEqual([{ tenantId: T1, bytes: Number.MAX_SAFE_INTEGER }]);

    const many = new TenantTraffic();
    many.giveBack(Array.from({ length: MAX_TENANTS_PER_PULSE + 5 }, (_, i) => ({ tenantId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, bytes: 1 })));
    expect(many.take(dump(), tenantOf)).toHaveLength(MAX_TENANTS_PER_PULSE);
    expect(many.take(dump(), tenantOf)).toHaveLength(5);
    expect(many.take(dump(), tenantOf)).toEqual([]);
  });
});
