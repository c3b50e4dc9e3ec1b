import { gatewayAddress, parseCidr } from '@phoenix/wireguard';
import { effectiveWgMode, NodeConfig } from '../config';

/** Reported at registration. */
export const NODE_DAEMON_VERSION = '0.1.0';

/** The daemon's settings, derived once from the environment. */
export interface NodeSettings {
  iface: string;
  mode: 'auto' | 'kernel' | 'userspace' | 'off';
  listenPort: number;
  mtu: number;
  tunnelCidrV4: string;
  tunnelCidrV6?: string;
  egressInterface: string;
  adminTcpPorts: number[];
  publicHost: string;
  location: string;
  capacity: number;
  ephemeral: boolean;
  /** Dedicated to this tenant (NODE_TENANT_ID); absent: the shared fleet. */
  tenantId?: string;
  version: string;
  reconcileIntervalMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Bound on waiting for a freshly started interface to answer. */
  interfaceStartTimeoutMs: number;
}

export function nodeSettingsFrom(config: NodeConfig): NodeSettings {
  return {
    iface: config.WG_INTERFACE,
    mode: effectiveWgMode(config),
    listenPort: config.WG_LISTEN_PORT,
    mtu: config.WG_MTU,
    tunnelCidrV4: config.TUNNEL_CIDR_V4,
    ...(config.TUNNEL_CIDR_V6 ? { tunnelCidrV6: config.TUNNEL_CIDR_V6 } : {}),
    egressInterface: config.EGRESS_INTERFACE,
    adminTcpPorts: config.NODE_ADMIN_TCP_PORTS.split(',').filter((p) => p.trim() !== '').map(Number),
    publicHost: config.NODE_PUBLIC_HOST ?? '127.0.0.1',
    location: config.NODE_LOCATION ?? 'de-fra',
    capacity: config.NODE_CAPACITY,
    ephemeral: config.NODE_EPHEMERAL,
    ...(config.NODE_TENANT_ID ? { tenantId: config.NODE_TENANT_ID } : {}),
    version: NODE_DAEMON_VERSION,
    reconcileIntervalMs: config.RECONCILE_INTERVAL_SEC * 1000,
    backoffBaseMs: 1000,
    backoffMaxMs: config.BACKOFF_MAX_SEC * 1000,
    interfaceStartTimeoutMs: 10_000,
  };
}

/** The node's own addresses on the interface: the first host of each pool, with the pool's prefix. */
export function gatewayAddresses(settings: Pick<NodeSettings, 'tunnelCidrV4' | 'tunnelCidrV6'>): string[] {
  const pools = [settings.tunnelCidrV4, ...(settings.tunnelCidrV6 ? [settings.tunnelCidrV6] : [])];
  return pools.map((pool) => `${gatewayAddress(pool)}/${parseCidr(pool).prefix}`);
}
