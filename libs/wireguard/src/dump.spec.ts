import { dumpTransferTotals, parseWgDump } from './dump';
import { WireGuardErrorCode } from './errors';
import { codeOf } from '../test/code-of';

const PRIVATE = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUBLIC = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
const PEER_A = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const PEER_B = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const PEER_C = 'gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=';
const PSK = 'FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=';

const row = (...fields: string[]) => fields.join('\t');

// The layout printed by wireguard-tools' dump_print() for `wg show <if> dump`.
const DUMP = [
  row(PRIVATE, PUBLIC, '51820', 'off'),
  row(PEER_A, '(none)', '198.18.3.4:40123', '100.64.3.7/32,fd00:6a:1::5e1f/128', '1750000000', '1048576', '2097152', 'off'),
  row(PEER_B, PSK, '[2001:db8::7]:51000', '100.64.9.1/32', '0', '18446744073709551615', '9007199254740993', '25'),
  row(PEER_C, '(none)', '(none)', '(none)', '0', '0', '0', 'off'),
].join('\n') + '\n';


describe('parseWgDump', () => {
  it('parses the interface line and every peer', () => {
    const dump = parseWgDump(DUMP);
    expect(dump.interface).toEqual({ hasPrivateKey: true, publicKey: PUBLIC, listenPort: 51820, fwmark: null });
    expect(dump.peers).toEqual([
      {
        publicKey: PEER_A,
        hasPresharedKey: false,
        endpoint: { host: '198.18.3.4', port: 40123 },
        allowedIps: ['100.64.3.7/32', 'fd00:6a:1::5e1f/128'],
        latestHandshake: 1_750_000_000,
        transferRx: 1_048_576n,
        transferTx: 2_097_152n,
        persistentKeepalive: null,
      },
      {
        publicKey: PEER_B,
        hasPresharedKey: true,
        endpoint: { host: '2001:db8::7', port: 51000 },
        allowedIps: ['100.64.9.1/32'],
        latestHandshake: null,
        transferRx: 18_446_744_073_709_551_615n, // u64 max: exact, beyond 2^53
        transferTx: 9_007_199_254_740_993n,
        persistentKeepalive: 25,
      },
      {
        publicKey: PEER_C,
        hasPresharedKey: false,
        endpoint: null,
        allowedIps: [],
        latestHandshake: null,
        transferRx: 0n,
        transferTx: 0n,
        persistentKeepalive: null,
      },
    ]);
  });

  it('keeps neither the private key nor preshared keys', () => {
    const text = JSON.stringify(parseWgDump(DUMP), (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(text).not.toContain(PRIVATE);
    expect(text).not.toContain(PSK);
  });

  it('handles an interface without keys, with an fwmark, and no peers', () => {
    expect(parseWgDump(row('(none)', '(none)', '0', '0xca6c'))).toEqual({
      interface: { hasPrivateKey: false, publicKey: null, listenPort: 0, fwmark: 0xca6c },
      peers: [],
    });
  });

  it('tolerates trailing newlines and CRLF', () => {
    expect(parseWgDump(DUMP.replace(/\n/g, '\r\n') + '\n\n').peers).toHaveLength(3);
  });

  it.each([
    ['empty output', ''],
    ['only a newline', '\n'],
    ['interface line with 3 fields', row(PRIVATE, PUBLIC, '51820')],
    ['`wg show all dump` layout', row('wg0', PRIVATE, PUBLIC, '51820', 'off')],
    ['bad listen port', row(PRIVATE, PUBLIC, '65536', 'off')],
    ['bad fwmark', row(PRIVATE, PUBLIC, '51820', 'on')],
    ['bad interface key', row('nope', PUBLIC, '51820', 'off')],
    ['blank line between peers', DUMP.replace('\n', '\n\n')],
    ['peer line with 7 fields', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${row(PEER_A, '(none)', '(none)', '(none)', '0', '0', '0')}`],
    ['space-separated peer line', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${[PEER_A, '(none)', '(none)', '(none)', '0', '0', '0', 'off'].join(' ')}`],
    ['bad peer key', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${row('(none)', '(none)', '(none)', '(none)', '0', '0', '0', 'off')}`],
    ['bad allowed ip', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${row(PEER_A, '(none)', '(none)', '100.64.3.7', '0', '0', '0', 'off')}`],
    ['bad endpoint', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${row(PEER_A, '(none)', '2001:db8::7:51000', '(none)', '0', '0', '0', 'off')}`],
    ['negative counter', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${row(PEER_A, '(none)', '(none)', '(none)', '0', '-1', '0', 'off')}`],
    ['counter beyond u64', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${row(PEER_A, '(none)', '(none)', '(none)', '0', '18446744073709551616', '0', 'off')}`],
    ['bad keepalive', `${row(PRIVATE, PUBLIC, '51820', 'off')}\n${row(PEER_A, '(none)', '(none)', '(none)', '0', '0', '0', '0')}`],
  ])('rejects %s with PARSE_ERROR', (_label, text) => {
    expect(codeOf(() => parseWgDump(text))).toBe(WireGuardErrorCode.PARSE_ERROR);
  });
});

describe('dumpTransferTotals', () => {
  it('sums rx and tx over every peer without losing u64 precision', () => {
    const totals = dumpTransferTotals(parseWgDump(DUMP));
    expect(totals).toEqual({ rx: 1048576n + 18446744073709551615n, tx: 2097152n + 9007199254740993n });
  });

  it('is zero for an interface without peers', () => {
    expect(dumpTransferTotals(parseWgDump(`${row(PRIVATE, PUBLIC, '51820', 'off')}\n`))).toEqual({ rx: 0n, tx: 0n });
  });
});
