import { assertArray, assertInteger, describe, fail } from './assert';
import { formatAddressWithPrefix, formatCidr, parseAddressWithPrefix, parseCidr } from './cidr';
import { Endpoint, formatEndpoint } from './endpoint';
import { WireGuardErrorCode } from './errors';
import { formatIp, parseIp } from './ip';
import { assertWireGuardKey } from './keys';

/** The server a client connects to. */
export interface ClientPeerInput {
  /** The node's public key. */
  readonly publicKey: string;
  readonly presharedKey?: string;
  readonly endpoint: Endpoint;
  /** Routes through the tunnel, e.g. `['0.0.0.0/0', '::/0']`. Network form. */
  readonly allowedIps: readonly string[];
  /** Seconds, 1–65535; omit or 0 for off. */
  readonly persistentKeepalive?: number;
}

/** Input of {@link renderClientConfig}. */
export interface ClientConfigInput {
  /**
   * The client's private key. Omit it when the client generated its own key pair (the normal
   * case: the server never sees it) — the output then has no PrivateKey line and the app adds its
   * own. Never pass a placeholder.
   */
  readonly privateKey?: string;
  /** Tunnel addresses with prefix, e.g. `['100.64.3.7/32', 'fd00:6a:1::5e1f/128']`. */
  readonly addresses: readonly string[];
  /** Resolver IP addresses. */
  readonly dns?: readonly string[];
  /** Interface MTU, 1280–65535 (IPv6 needs at least 1280, RFC 8200 §5). */
  readonly mtu?: number;
  readonly peer: ClientPeerInput;
}

/**
 * Renders a client's wg-quick configuration.
 *
 * Injection-safe by construction: no input string is copied into the output. Every value is parsed
 * (keys, addresses, CIDRs, ports, host names) and the output is re-formatted from the parsed form,
 * so no newline, `=`, `#` or `[Section]` can be smuggled through any field.
 *
 * @throws {WireGuardError} INVALID_KEY, INVALID_ADDRESS, INVALID_CIDR, INVALID_ARGUMENT
 * @example
 * renderClientConfig({
 *   addresses: ['100.64.3.7/32'],
 *   dns: ['100.64.0.1'],
 *   peer: { publicKey, endpoint: { host: '198.18.0.10', port: 51820 }, allowedIps: ['0.0.0.0/0', '::/0'] },
 * })
 */
export function renderClientConfig(input: ClientConfigInput): string {
  const lines: string[] = ['[Interface]'];
  if (input.privateKey !== undefined) lines.push(`PrivateKey = ${assertWireGuardKey(input.privateKey, 'privateKey')}`);

  const addresses = assertArray<string>(input.addresses, 'addresses');
  if (addresses.length === 0) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'addresses must not be empty');
  lines.push(`Address = ${addresses.map((a) => formatAddressWithPrefix(parseAddressWithPrefix(a))).join(', ')}`);

  if (input.dns !== undefined) {
    const dns = assertArray<string>(input.dns, 'dns');
    if (dns.length > 0) lines.push(`DNS = ${dns.map((ip) => formatIp(parseIp(ip))).join(', ')}`);
  }
  if (input.mtu !== undefined) lines.push(`MTU = ${assertInteger(input.mtu, 'mtu', 1280, 65_535)}`);

  const peer = input.peer;
  if (typeof peer !== 'object' || peer === null) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'peer is required');
  lines.push('', '[Peer]', `PublicKey = ${assertWireGuardKey(peer.publicKey, 'peer.publicKey')}`);
  if (peer.presharedKey !== undefined) lines.push(`PresharedKey = ${assertWireGuardKey(peer.presharedKey, 'peer.presharedKey')}`);

  const allowed = assertArray<string>(peer.allowedIps, 'peer.allowedIps');
  if (allowed.length === 0) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'peer.allowedIps must not be empty');
  lines.push(`AllowedIPs = ${allowed.map((c) => formatCidr(parseCidr(c))).join(', ')}`);

  if (typeof peer.endpoint !== 'object' || peer.endpoint === null) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, `peer.endpoint must be { host, port }, got ${describe(peer.endpoint)}`);
  }
  lines.push(`Endpoint = ${formatEndpoint(peer.endpoint)}`);

  if (peer.persistentKeepalive !== undefined && peer.persistentKeepalive !== 0) {
    lines.push(`PersistentKeepalive = ${assertInteger(peer.persistentKeepalive, 'peer.persistentKeepalive', 1, 65_535)}`);
  }
  return `${lines.join('\n')}\n`;
}
