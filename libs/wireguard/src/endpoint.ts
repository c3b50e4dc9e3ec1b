import { describe, fail, parseDecimal } from './assert';
import { WireGuardError, WireGuardErrorCode } from './errors';
import { formatIp, IpAddress, isValidIp, parseIp } from './ip';

/** A WireGuard endpoint: an IP literal or DNS name, and a UDP port. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

// RFC 1123 host names: letters, digits and inner hyphens per label, 1–63 chars per label,
// 253 in total. Nothing here can carry a newline, '=', '#', ':' or a space into a config line.
const LABEL = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** True when `text` is a syntactically valid DNS host name (not an IP literal). */
export function isValidHostname(text: unknown): boolean {
  if (typeof text !== 'string' || text.length === 0 || text.length > 253) return false;
  const labels = (text.endsWith('.') ? text.slice(0, -1) : text).split('.');
  // An all-numeric last label would make "198.18.0.300" a "host name"; reject it.
  return labels.every((label) => LABEL.test(label)) && !/^[0-9]+$/.test(labels[labels.length - 1] as string);
}

/**
 * Canonical host text: IP literals are normalized (IPv6 per RFC 5952), names are lowercased.
 *
 * @throws {WireGuardError} INVALID_ARGUMENT when neither an IP nor a host name
 */
export function normalizeHost(host: string): string {
  if (isValidIp(host)) return formatIp(parseIp(host));
  if (isValidHostname(host)) return host.toLowerCase();
  fail(WireGuardErrorCode.INVALID_ARGUMENT, `endpoint host is neither an IP address nor a host name: ${describe(host)}`);
}

/**
 * Formats `host:port`, with an IPv6 host in brackets (`[2001:db8::1]:51820`).
 *
 * @throws {WireGuardError} INVALID_ARGUMENT
 */
export function formatEndpoint(endpoint: Endpoint): string {
  const host = normalizeHost(endpoint.host);
  const port = endpoint.port;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, `endpoint port must be 1–65535, got ${describe(port)}`);
  }
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses `ip:port` or `[ipv6]:port` as printed by `wg show dump` (a link-local `%zone` suffix
 * is kept in `host` as printed).
 *
 * @throws {WireGuardError} PARSE_ERROR
 */
export function parseEndpoint(text: string): Endpoint & { readonly address: IpAddress } {
  let host: string;
  let portText: string;
  let zone = '';
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') fail(WireGuardErrorCode.PARSE_ERROR, `bad endpoint ${describe(text)}`);
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    const percent = host.indexOf('%');
    if (percent >= 0) {
      zone = host.slice(percent);
      host = host.slice(0, percent);
      if (!/^%[a-zA-Z0-9_.-]{1,15}$/.test(zone)) fail(WireGuardErrorCode.PARSE_ERROR, `bad endpoint zone ${describe(text)}`);
    }
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) fail(WireGuardErrorCode.PARSE_ERROR, `bad endpoint ${describe(text)}`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) fail(WireGuardErrorCode.PARSE_ERROR, `IPv6 endpoint without brackets ${describe(text)}`);
  }
  const port = parseDecimal(portText, 65_535);
  if (port === null || port === 0) fail(WireGuardErrorCode.PARSE_ERROR, `bad endpoint port ${describe(text)}`);
  let address: IpAddress;
  try {
    address = parseIp(host);
  } catch (error) {
    throw new WireGuardError(WireGuardErrorCode.PARSE_ERROR, `bad endpoint address ${describe(text)}`, { cause: error });
  }
  return { host: formatIp(address) + zone, port, address };
}
