import { ConfigError } from '@phoenix/common';
import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape, effectiveWgMode, loadNodeConfig } from './config';

describeConfigSchema(
  'node-daemon',
  configShape,
  {
    CONFIG_SERVICE_URL: 'http://127.0.0.1:3002',
    NODE_PUBLIC_HOST: 'vpn-1.example.net',
    NODE_LOCATION: 'de-fra',
  },
  ['CONFIG_SERVICE_URL'],
);

describe('node-daemon configuration rules', () => {
  const base = { CONFIG_SERVICE_URL: 'http://127.0.0.1:3002' };
  const prod = { ...base, NODE_ENV: 'production', NODE_ENROLLMENT_TOKEN: 'prod-enrollment-token-0123456789' };

  it('has defaults for the data plane', () => {
    const config = loadNodeConfig(base);
    expect(config).toMatchObject({
      WG_INTERFACE: 'wg0',
      WG_LISTEN_PORT: 51820,
      WG_MTU: 1420,
      TUNNEL_CIDR_V4: '100.64.0.0/16',
      EGRESS_INTERFACE: 'eth0',
      RECONCILE_INTERVAL_SEC: 30,
      NODE_EPHEMERAL: false,
      NODE_STATE_DIR: '/var/lib/phoenix-node-daemon',
      NODE_ADMIN_TCP_PORTS: '22',
    });
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('manages the host network only when asked to, or in production', () => {
    expect(effectiveWgMode(loadNodeConfig(base))).toBe('off');
    expect(effectiveWgMode(loadNodeConfig({ ...base, WG_MODE: 'userspace' }))).toBe('userspace');
    expect(effectiveWgMode(loadNodeConfig({ ...prod, NODE_PUBLIC_HOST: '198.51.100.7', NODE_LOCATION: 'de-fra' }))).toBe('auto');
  });

  it('requires NODE_PUBLIC_HOST and NODE_LOCATION in production, naming them', () => {
    expect(() => loadNodeConfig(prod)).toThrow(ConfigError);
    expect(() => loadNodeConfig(prod)).toThrow(/NODE_PUBLIC_HOST: is required in production.*NODE_LOCATION: is required in production/);
  });

  it.each([
    ['WG_INTERFACE', '-evil'],
    ['WG_INTERFACE', 'a-name-longer-than-15'],
    ['TUNNEL_CIDR_V4', '100.64.0.1/16'],
    ['TUNNEL_CIDR_V4', 'fd00::/64'],
    ['TUNNEL_CIDR_V6', '100.64.0.0/16'],
    ['WG_MTU', '1000'],
    ['NODE_ADMIN_TCP_PORTS', '22;reboot'],
    ['NODE_STATE_DIR', 'relative/dir'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['NODE_PUBLIC_HOST', 'not a host'],
    ['WG_MODE', 'maybe'],
    ['NODE_LOCATION', 'frankfurt'],
    ['NODE_NETNS', '-all'],
    ['NODE_NETNS', 'a/b'],
  ])('refuses %s=%j, naming it', (name, value) => {
    expect(() => loadNodeConfig({ ...base, [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('refuses an egress interface equal to the WireGuard interface', () => {
    expect(() => loadNodeConfig({ ...base, WG_INTERFACE: 'eth0' })).toThrow(/EGRESS_INTERFACE: must differ from WG_INTERFACE/);
  });

  it('takes the tenant a node is dedicated to (a UUID, lower-cased), none by default', () => {
    expect(loadNodeConfig(base).NODE_TENANT_ID).toBeUndefined();
    expect(loadNodeConfig({ ...base, NODE_TENANT_ID: '8A2D1CE1-F7D1-4AE5-BCCD-2B66B012DA8B' }).NODE_TENANT_ID).toBe('8a2d1ce1-f7d1-4ae5-bccd-2b66b012da8b');
    expect(() => loadNodeConfig({ ...base, NODE_TENANT_ID: 'acme' })).toThrow(/NODE_TENANT_ID: must be a tenant id/);
  });

  it('takes a network namespace for the data plane, none by default', () => {
    expect(loadNodeConfig(base).NODE_NETNS).toBeUndefined();
    expect(loadNodeConfig({ ...base, NODE_NETNS: 'phx-node' }).NODE_NETNS).toBe('phx-node');
  });
});
