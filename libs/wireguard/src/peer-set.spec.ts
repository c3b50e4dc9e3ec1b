import { parseCidr } from './cidr';
import { diffPeers } from './peer-diff';
import { DesiredPeerSet, LeasedPeer } from './peer-set';

const K1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const K2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const K3 = 'gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=';
const K4 = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
const POOLS = [parseCidr('100.64.0.0/16'), parseCidr('fd00:6a:1::/64')];
const LATER = '2999-01-01T00:00:00.000Z';

const lease = (publicKey: string, ...allowedIps: string[]): LeasedPeer => ({ publicKey, allowedIps, expiresAt: LATER });
const contents = (set: DesiredPeerSet) => [...set.values()].map((p) => [p.publicKey, ...p.allowedIps]).sort();

describe('DesiredPeerSet.from', () => {
  it('keeps valid host routes inside the pools, canonical, and drops the rest in order', () => {
    const { set, dropped } = DesiredPeerSet.from(
      [
        lease(K1, 'FD00:6A:1:0::5/128', '100.64.0.2/32'),
        lease(K2, '0.0.0.0/0'),
        lease(K3, '100.100.0.3/32'),
        lease('not-a-key', '100.64.0.9/32'),
        lease(K4, '100.64.0.2/32'), // K1's address
        lease(K1, '100.64.0.7/32'), // K1 again
      ],
      POOLS,
    );
    expect(dropped).toBe(5);
    expect(contents(set)).toEqual([[K1, '100.64.0.2/32', 'fd00:6a:1::5/128']]);
  });
});

describe('DesiredPeerSet.plan and apply', () => {
  const base = () => DesiredPeerSet.from([lease(K1, '100.64.0.2/32'), lease(K2, '100.64.0.3/32')], POOLS).set;

  it('plans additions, address changes and removals, and touches nothing until applied', () => {
    const set = base();
    const planned = set.plan(7, [lease(K3, '100.64.0.4/32'), lease(K2, '100.64.0.5/32')], [K1]);
    expect(planned.add.map((p) => p.publicKey)).toEqual([K3]);
    expect(planned.update).toEqual([lease(K2, '100.64.0.5/32')]);
    expect(planned.remove).toEqual([K1]);
    expect(planned.change.generation).toBe(7);
    expect(contents(set)).toEqual([[K1, '100.64.0.2/32'], [K2, '100.64.0.3/32']].sort());
    set.apply(planned.change);
    expect(contents(set)).toEqual([[K2, '100.64.0.5/32'], [K3, '100.64.0.4/32']].sort());
  });

  it('a new expiry alone is kept in the set but changes nothing on the interface', () => {
    const set = base();
    const planned = set.plan(2, [{ ...lease(K1, '100.64.0.2/32'), expiresAt: '2998-01-01T00:00:00.000Z' }], []);
    expect([planned.add, planned.update, planned.remove]).toEqual([[], [], []]);
    set.apply(planned.change);
    expect(set.get(K1)?.expiresAt).toBe('2998-01-01T00:00:00.000Z');
  });

  it('drops an announced peer whose address another peer keeps; takes one that a removal or a move frees', () => {
    const set = base();
    const clash = set.plan(2, [lease(K3, '100.64.0.2/32')], []);
    expect(clash.dropped).toBe(1);
    expect(clash.change.upserted).toEqual([]);

    const freedByRemoval = set.plan(2, [lease(K3, '100.64.0.2/32')], [K1]);
    expect(freedByRemoval.dropped).toBe(0);
    expect(freedByRemoval.add.map((p) => p.publicKey)).toEqual([K3]);

    // K1 moves away from .2 in the same change; K3 (listed first) takes .2.
    const freedByMove = set.plan(2, [lease(K3, '100.64.0.2/32'), lease(K1, '100.64.0.9/32')], []);
    expect(freedByMove.dropped).toBe(0);
    set.apply(freedByMove.change);
    expect(contents(set)).toEqual([[K1, '100.64.0.9/32'], [K2, '100.64.0.3/32'], [K3, '100.64.0.2/32']].sort());
  });

  it('never leaves an address claimed twice: a move that is itself refused frees nothing', () => {
    const set = base();
    // K1 wants K2's address (refused, K2 keeps it), so K1's own .2 is not freed for K3.
    const planned = set.plan(2, [lease(K3, '100.64.0.2/32'), lease(K1, '100.64.0.3/32')], []);
    expect(planned.dropped).toBe(2);
    set.apply(planned.change);
    const owners = [...set.values()].flatMap((p) => p.allowedIps);
    expect(new Set(owners).size).toBe(owners.length);
    expect(contents(set)).toEqual([[K1, '100.64.0.2/32'], [K2, '100.64.0.3/32']].sort());
  });

  it('ignores invalid removal keys and a key both removed and added (it is set, not removed)', () => {
    const set = base();
    const planned = set.plan(2, [lease(K1, '100.64.0.8/32')], [K1, 'nope']);
    expect(planned.remove).toEqual([]);
    expect(planned.update).toEqual([lease(K1, '100.64.0.8/32')]);
  });

  it('removes a key it never held (the interface may have it)', () => {
    const planned = base().plan(2, [], [K4]);
    expect(planned.remove).toEqual([K4]);
  });
});

describe('DesiredPeerSet.diff', () => {
  it('gives what diffPeers gives, in the same order, comparing allowed IPs as sets', () => {
    const { set } = DesiredPeerSet.from(
      [lease(K1, 'fd00:6a:1::5/128', '100.64.0.2/32'), lease(K2, '100.64.0.9/32'), lease(K4, '100.64.0.4/32')],
      POOLS,
    );
    const actual = [
      { publicKey: K3, allowedIps: ['100.64.0.7/32'] },
      { publicKey: K1, allowedIps: ['fd00:6a:1::5/128', '100.64.0.2/32'] }, // the same set, another order
      { publicKey: K2, allowedIps: ['100.64.0.3/32'] },
    ];
    const diff = set.diff(actual);
    expect(diff).toEqual(diffPeers([...set.values()], actual));
    expect(diff).toEqual({ add: [{ publicKey: K4, allowedIps: ['100.64.0.4/32'] }], update: [{ publicKey: K2, allowedIps: ['100.64.0.9/32'] }], remove: [K3] });
  });

  it('leaves out, and removes from the interface, the peers `wanted` turns down', () => {
    const { set } = DesiredPeerSet.from([lease(K1, '100.64.0.2/32'), lease(K2, '100.64.0.3/32')], POOLS);
    const diff = set.diff([{ publicKey: K1, allowedIps: ['100.64.0.2/32'] }], (p) => p.publicKey !== K1);
    expect(diff).toEqual({ add: [{ publicKey: K2, allowedIps: ['100.64.0.3/32'] }], update: [], remove: [K1] });
  });
});

describe('DesiredPeerSet: a peer’s tenant', () => {
  it('keeps a UUID tenant id (lower case) through from and plan, and treats anything else as no tenant; a new tenant alone changes nothing live', () => {
    const T = '0B7E4C1E-59D4-4C8A-9D1E-7A1F4B2C3D4E';
    const { set } = DesiredPeerSet.from(
      [
        { ...lease(K1, '100.64.0.2/32'), tenantId: T },
        { ...lease(K2, '100.64.0.3/32'), tenantId: 'acme' },
        { ...lease(K3, '100.64.0.4/32'), tenantId: null },
      ],
      POOLS,
    );
    expect(set.get(K1)?.tenantId).toBe(T.toLowerCase());
    expect(set.get(K2)).toEqual(lease(K2, '100.64.0.3/32'));
    expect(set.get(K3)).toEqual(lease(K3, '100.64.0.4/32'));
    const planned = set.plan(2, [{ ...lease(K3, '100.64.0.4/32'), tenantId: T }], []);
    expect(planned.change.upserted).toEqual([{ ...lease(K3, '100.64.0.4/32'), tenantId: T.toLowerCase() }]);
    expect(planned.update).toEqual([]);
  });
});
