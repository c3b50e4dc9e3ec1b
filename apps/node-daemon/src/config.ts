import { z } from 'zod';
import { ConfigOf, ConfigRules, LOCATION_ID, baseShape, env, loadConfig } from '@phoenix/common';
import { isValidCidr, isValidHostname, isValidInterfaceName, isValidIp, isValidNetnsName, parseCidr } from '@phoenix/wireguard';

function cidrOf(version: 4 | 6) {
  return z.string().refine(
    (v) => {
      if (!isValidCidr(v)) return false;
      const cidr = parseCidr(v);
      // A pool needs room for the gateway and at least a couple of clients.
      return cidr.version === version && cidr.prefix <= (version === 4 ? 30 : 126);
    },
    { message: `must be an IPv${version} CIDR in network form (e.g. ${version === 4 ? '100.64.0.0/16' : 'fd00:6a:1::/64'})` },
  );
}

const interfaceName = (defaultName: string) =>
  z.string().default(defaultName).refine(isValidInterfaceName, { message: 'must be a Linux interface name (1-15 of [A-Za-z0-9_.-])' });

/**
 * node-daemon environment. Its HTTP port serves only local health and metrics (loopback).
 *
 * `WG_MODE` decides whether the daemon touches the host's network at all: `auto` (the kernel
 * module when present, else wireguard-go), `kernel`, `userspace` (wireguard-go) or `off`
 * (control plane only: registers and pulses, changes nothing on the host). Unset, it is `auto`
 * with `NODE_ENV=production` and `off` otherwise, so `npm run platform` on a workstation never
 * installs a firewall in the host's own namespace.
 */
export const configShape = {
  ...baseShape(3005, '127.0.0.1'),
  CONFIG_SERVICE_URL: env.url(['http:', 'https:']),
  NODE_ENROLLMENT_TOKEN: env.secret('dev-node-enrollment-token'),
  /** Without it the node learns peer changes only by polling (every RECONCILE_INTERVAL_SEC). */
  REDIS_URL: env.redisUrl().optional(),
  NODE_STATE_DIR: z.string().default('/var/lib/phoenix-node-daemon').refine((v) => v.startsWith('/'), { message: 'must be an absolute path' }),
  WG_MODE: z.enum(['auto', 'kernel', 'userspace', 'off']).optional(),
  WG_INTERFACE: interfaceName('wg0'),
  WG_LISTEN_PORT: env.port(51820),
  WG_MTU: env.int(1420, 1280, 65535),
  WIREGUARD_GO_BIN: z.string().min(1).default('wireguard-go'),
  /** The host clients connect to (announced at registration). Required in production. */
  NODE_PUBLIC_HOST: z.string().refine((v) => isValidIp(v) || isValidHostname(v), { message: 'must be an IP address or a host name' }).optional(),
  /** The location id this node serves (e.g. `de-fra`). Required in production. */
  NODE_LOCATION: z.string().regex(LOCATION_ID, { message: 'must be a location id like de-fra' }).optional(),
  NODE_CAPACITY: env.int(1000, 1, 1_000_000),
  TUNNEL_CIDR_V4: cidrOf(4).default('100.64.0.0/16'),
  TUNNEL_CIDR_V6: cidrOf(6).optional(),
  EGRESS_INTERFACE: interfaceName('eth0'),
  /** TCP ports the operator reaches the host on from outside the tunnel (the firewall drops the rest). */
  NODE_ADMIN_TCP_PORTS: z
    .string()
    .default('22')
    .refine((v) => v === '' || v.split(',').every((p) => /^\d{1,5}$/.test(p.trim()) && Number(p) >= 1 && Number(p) <= 65535), {
      message: 'must be a comma-separated list of TCP ports',
    }),
  RECONCILE_INTERVAL_SEC: env.int(30, 1, 3600),
  /** Cap of the jittered exponential backoff while config-service is unreachable. */
  BACKOFF_MAX_SEC: env.int(60, 1, 3600),
  NODE_EPHEMERAL: env.bool(false),
  /**
   * A node dedicated to one B2B tenant (API.md "B2B tenants"): its id goes in the registration,
   * with that tenant's enrollment token as NODE_ENROLLMENT_TOKEN. Unset: a node of the shared fleet.
   */
  NODE_TENANT_ID: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'must be a tenant id (UUID)' })
    .transform((v) => v.toLowerCase())
    .optional(),
  /**
   * Runs every `wg`/`ip`/`nft`/`sysctl` command and wireguard-go inside this (existing) network
   * namespace (`ip netns exec <ns> …`), while the daemon's own HTTP and Redis clients stay in its
   * namespace. Used by `npm run platform` to run a local node in `phx-node`. Unset: the daemon's
   * own namespace.
   */
  NODE_NETNS: z.string().refine(isValidNetnsName, { message: 'must be a network namespace name (e.g. phx-node)' }).optional(),
};

export type NodeConfig = ConfigOf<typeof configShape>;

/**
 * The rules that span variables or depend on `NODE_ENV`: in production the node must say where it
 * is and how clients reach it.
 */
export const nodeConfigRules: ConfigRules<NodeConfig> = (config) => {
  const problems: string[] = [];
  if (config.NODE_ENV === 'production') {
    if (config.NODE_PUBLIC_HOST === undefined) problems.push('NODE_PUBLIC_HOST: is required in production');
    if (config.NODE_LOCATION === undefined) problems.push('NODE_LOCATION: is required in production');
  }
  if (config.WG_INTERFACE === config.EGRESS_INTERFACE) problems.push('EGRESS_INTERFACE: must differ from WG_INTERFACE');
  return problems;
};

/**
 * Parses the environment against the shape and {@link nodeConfigRules}.
 * @throws ConfigError naming every bad variable
 */
export function loadNodeConfig(source: NodeJS.ProcessEnv = process.env): NodeConfig {
  return loadConfig(configShape, source, nodeConfigRules);
}

/** The data-plane implementation in effect (see `WG_MODE`). */
export function effectiveWgMode(config: Pick<NodeConfig, 'WG_MODE' | 'NODE_ENV'>): 'auto' | 'kernel' | 'userspace' | 'off' {
  return config.WG_MODE ?? (config.NODE_ENV === 'production' ? 'auto' : 'off');
}
