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
 * A client's wg-quick configuration with everything but the client's tunnel addresses rendered,
 * and checked, once: for a server that answers many clients of one node, each with its own
 * addresses and the same DNS and peer. See {@link renderClientConfig}.
 */
export interface ClientConfigTemplate {
  /**
   * The configuration for these tunnel addresses, and the addresses as written in it (canonical:
   * `fd00:6a:1::5e1f/128`).
   * @throws {WireGuardError} INVALID_ADDRESS, INVALID_CIDR, INVALID_ARGUMENT (none given)
   */
  render(addresses: readonly string[]): { config: string; addresses: string[] };
}

/**
 * Prepares {@link renderClientConfig} for everything but the addresses: every value is parsed and
 * checked here, the addresses at each {@link ClientConfigTemplate.render}.
 *
 * @throws {WireGuardError} INVALID_KEY, INVALID_ADDRESS, INVALID_CIDR, INVALID_ARGUMENT
 */
export function clientConfigTemplate(input: Omit<ClientConfigInput, 'addresses'>): ClientConfigTemplate {
  const head: string[] = ['[Interface]'];
  if (input.privateKey !== undefined) head.push(`PrivateKey = ${assertWireGuardKey(input.privateKey, 'privateKey')}`);

  const tail: string[] = [];
  if (input.dns !== undefined) {
    const dns = assertArray<string>(input.dns, 'dns');
    if (dns.length > 0) tail.push(`DNS = ${dns.map((ip) => formatIp(parseIp(ip))).join(', ')}`);
  }
  if (input.mtu !== undefined) tail.push(`MTU = ${assertInteger(input.mtu, 'mtu', 1280, 65_535)}`);

  const peer = input.peer;
  if (typeof peer !== 'object' || peer === null) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'peer is required');
  tail.push('', '[Peer]', `PublicKey = ${assertWireGuardKey(peer.publicKey, 'peer.publicKey')}`);
  if (peer.presharedKey !== undefined) tail.push(`PresharedKey = ${assertWireGuardKey(peer.presharedKey, 'peer.presharedKey')}`);

  const allowed = assertArray<string>(peer.allowedIps, 'peer.allowedIps');
  if (allowed.length === 0) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'peer.allowedIps must not be empty');
  tail.push(`AllowedIPs = ${allowed.map((c) => formatCidr(parseCidr(c))).join(', ')}`);

  if (typeof peer.endpoint !== 'object' || peer.endpoint === null) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, `peer.endpoint must be { host, port }, got ${describe(peer.endpoint)}`);
  }
  tail.push(`Endpoint = ${formatEndpoint(peer.endpoint)}`);

  if (peer.persistentKeepalive !== undefined && peer.persistentKeepalive !== 0) {
    tail.push(`PersistentKeepalive = ${assertInteger(peer.persistentKeepalive, 'peer.persistentKeepalive', 1, 65_535)}`);
  }
  const before = `${head.join('\n')}\n`;
  const after = `\n${tail.join('\n')}\n`;
  return {
    render(addresses) {
      const list = assertArray<string>(addresses, 'addresses');
      if (list.length === 0) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'addresses must not be empty');
      const canonical = list.map((a) => formatAddressWithPrefix(parseAddressWithPrefix(a)));
      return { config: `${before}Address = ${canonical.join(', ')}${after}`, addresses: canonical };
    },
  };
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
  return clientConfigTemplate(input).render(input.addresses).config;
}
