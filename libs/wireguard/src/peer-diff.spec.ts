import { WireGuardErrorCode } from './errors';
import { diffPeers, isEmptyPeerDiff, PeerSpec, normalizeAllowedIps, wgSetPeerArgs } from './peer-diff';
import { codeOf } from '../test/code-of';

const K1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const K2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const K3 = 'gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=';
const K4 = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';


describe('diffPeers', () => {
  const actual = [
    { publicKey: K1, allowedIps: ['100.64.3.7/32', 'fd00:6a:1::5e1f/128'] },
    { publicKey: K2, allowedIps: ['100.64.9.1/32'] },
    { publicKey: K3, allowedIps: ['100.64.9.2/32'] },
  ];

  it('adds missing peers, updates changed allowed IPs and removes extra peers', () => {
    const diff = diffPeers(
      [
        { publicKey: K1, allowedIps: ['100.64.3.7/32', 'fd00:6a:1::5e1f/128'] },
        { publicKey: K2, allowedIps: ['100.64.9.5/32'] },
        { publicKey: K4, allowedIps: ['fd00:6a:1::77/128', '100.64.20.1/32'] },
      ],
      actual,
    );
    expect(diff).toEqual({
      add: [{ publicKey: K4, allowedIps: ['100.64.20.1/32', 'fd00:6a:1::77/128'] }],
      update: [{ publicKey: K2, allowedIps: ['100.64.9.5/32'] }],
      remove: [K3],
    });
    expect(isEmptyPeerDiff(diff)).toBe(false);
  });

  it('compares allowed IPs as normalized sets', () => {
    const diff = diffPeers(
      [
        { publicKey: K1, allowedIps: ['FD00:6A:1:0::5E1F/128', '100.64.3.7/32', '100.64.3.7/32'] },
        { publicKey: K2, allowedIps: ['100.64.9.1/32'] },
        { publicKey: K3, allowedIps: ['100.64.9.2/32'] },
      ],
      actual,
    );
    expect(isEmptyPeerDiff(diff)).toBe(true);
  });

  it('removes everything when nothing is desired and adds everything on an empty interface', () => {
    expect(diffPeers([], actual).remove).toEqual([K1, K2, K3]);
    expect(diffPeers(actual, []).add.map((p) => p.publicKey)).toEqual([K1, K2, K3]);
  });

  it('refuses ambiguous input', () => {
    const twice = [actual[0], actual[0]] as PeerSpec[];
    expect(codeOf(() => diffPeers(twice, []))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => diffPeers([], twice))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(
      codeOf(() => diffPeers([{ publicKey: K1, allowedIps: ['100.64.3.7/32'] }, { publicKey: K2, allowedIps: ['100.64.3.7/32'] }], [])),
    ).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => diffPeers([{ publicKey: 'nope', allowedIps: [] }], []))).toBe(WireGuardErrorCode.INVALID_KEY);
    expect(codeOf(() => diffPeers([{ publicKey: K1, allowedIps: ['100.64.3.7'] }], []))).toBe(WireGuardErrorCode.INVALID_CIDR);
  });

  it('normalizes allowed IPs (kernel form: host bits masked, sorted v4 before v6)', () => {
    expect(normalizeAllowedIps(['fd00:6a:1::5/64', '100.64.3.7/32', '100.64.0.9/24'])).toEqual(['100.64.0.0/24', '100.64.3.7/32', 'fd00:6a:1::/64']);
  });
});

describe('rendering a diff for wg', () => {
  const diff = diffPeers(
    [
      { publicKey: K2, allowedIps: ['100.64.9.5/32'] },
      { publicKey: K4, allowedIps: ['fd00:6a:1::77/128', '100.64.20.1/32'] },
    ],
    [
      { publicKey: K1, allowedIps: ['100.64.3.7/32'] },
      { publicKey: K2, allowedIps: ['100.64.9.1/32'] },
    ],
  );

  it('builds one `wg set` argument list for the whole diff, removals first', () => {
    expect(wgSetPeerArgs(diff)).toEqual([
      ['peer', K1, 'remove', 'peer', K4, 'allowed-ips', '100.64.20.1/32,fd00:6a:1::77/128', 'peer', K2, 'allowed-ips', '100.64.9.5/32'],
    ]);
  });

  it('splits very large diffs into several calls and emits nothing for an empty diff', () => {
    expect(wgSetPeerArgs(diff, { maxPeersPerCall: 2 })).toEqual([
      ['peer', K1, 'remove', 'peer', K4, 'allowed-ips', '100.64.20.1/32,fd00:6a:1::77/128'],
      ['peer', K2, 'allowed-ips', '100.64.9.5/32'],
    ]);
    expect(wgSetPeerArgs({ add: [], update: [], remove: [] })).toEqual([]);
    expect(wgSetPeerArgs({ add: [{ publicKey: K3, allowedIps: [] }], update: [], remove: [] })).toEqual([['peer', K3, 'allowed-ips', '']]);
    expect(codeOf(() => wgSetPeerArgs({ add: [], update: [], remove: ['--help'] }))).toBe(WireGuardErrorCode.INVALID_KEY);
  });
});
