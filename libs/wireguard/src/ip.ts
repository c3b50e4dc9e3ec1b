import { describe, fail, parseDecimal } from './assert';
import { WireGuardError, WireGuardErrorCode } from './errors';

/** IP version of an address or prefix. */
export type IpVersion = 4 | 6;

/** An IPv4 or IPv6 address as an unsigned integer (32 or 128 bits). */
export interface IpAddress {
  readonly version: IpVersion;
  readonly value: bigint;
}

/** Address width in bits: 32 for IPv4, 128 for IPv6. */
export function addressBits(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

/** The largest address value of the given version. */
export function maxAddressValue(version: IpVersion): bigint {
  return (1n << BigInt(addressBits(version))) - 1n;
}

/** Builds an {@link IpAddress} from its integer value, checking the range. */
export function ipFromBigInt(version: IpVersion, value: bigint): IpAddress {
  if (value < 0n || value > maxAddressValue(version)) {
    fail(WireGuardErrorCode.INVALID_ADDRESS, `value out of range for IPv${version}`);
  }
  return { version, value };
}

function invalid(text: string, version: string): never {
  fail(WireGuardErrorCode.INVALID_ADDRESS, `not an ${version} address: ${describe(text)}`);
}

function parseIpv4Value(text: string): bigint | null {
  // Dotted-quad only: inet_aton's shorthand ("127.1", "0x7f.1", octal "010") is ambiguous
  // across tools, so it is rejected rather than interpreted.
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    const octet = parseDecimal(part, 255);
    if (octet === null) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/**
 * Parses a dotted-quad IPv4 address (no leading zeros, no shorthand).
 *
 * @throws {WireGuardError} INVALID_ADDRESS
 * @example parseIpv4('100.64.0.1') // → { version: 4, value: 1681915905n }
 */
export function parseIpv4(text: string): IpAddress {
  if (typeof text !== 'string') invalid(String(text), 'IPv4');
  const value = parseIpv4Value(text);
  if (value === null) invalid(text, 'IPv4');
  return { version: 4, value };
}

function parseHexGroups(part: string, allowTrailingIpv4: boolean): bigint[] | null {
  if (part === '') return [];
  const groups: bigint[] = [];
  const pieces = part.split(':');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (allowTrailingIpv4 && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4Value(piece);
      if (v4 === null) return null;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
      groups.push(BigInt(`0x${piece}`));
    }
  }
  return groups;
}

function parseIpv6Value(text: string): bigint | null {
  // Longest valid form is 45 chars (ffff:…:255.255.255.255); zone ids ("%eth0") are not addresses.
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  let groups: bigint[];
  if (halves.length === 2) {
    const head = parseHexGroups(halves[0] as string, false);
    const tail = parseHexGroups(halves[1] as string, true);
    // "::" stands for at least one zero group (RFC 4291 §2.2), so at most 7 are written.
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  } else {
    const all = parseHexGroups(text, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  }
  return groups.reduce((acc, group) => (acc << 16n) | group, 0n);
}

/**
 * Parses an IPv6 address in any RFC 4291 text form (`::` compression, embedded dotted-quad).
 * Zone ids are rejected.
 *
 * @throws {WireGuardError} INVALID_ADDRESS
 * @example parseIpv6('fd00:6a:1::1') // → { version: 6, value: … }
 */
export function parseIpv6(text: string): IpAddress {
  if (typeof text !== 'string') invalid(String(text), 'IPv6');
  const value = parseIpv6Value(text);
  if (value === null) invalid(text, 'IPv6');
  return { version: 6, value };
}

/**
 * Parses an IPv4 (dotted-quad) or IPv6 address.
 *
 * @throws {WireGuardError} INVALID_ADDRESS
 * @example parseIp('FD00:6A:1::0001') // → same value as parseIp('fd00:6a:1::1')
 */
export function parseIp(text: string): IpAddress {
  if (typeof text !== 'string') fail(WireGuardErrorCode.INVALID_ADDRESS, 'address must be a string');
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

/** True when `text` parses as an IPv4 or IPv6 address. */
export function isValidIp(text: unknown): boolean {
  try {
    parseIp(text as string);
    return true;
  } catch (error) {
    if (error instanceof WireGuardError) return false;
    throw error;
  }
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join('.');
}

function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));

  // RFC 5952 §5: IPv4-mapped addresses are written with the dotted-quad tail.
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`;

  // RFC 5952 §4.2: compress the longest run of two or more zero groups; the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/**
 * Formats an address canonically: dotted-quad for IPv4, RFC 5952 (lowercase, compressed) for IPv6.
 *
 * @example formatIp(parseIp('fd00:006a:0001:0:0:0:0:0001')) // → 'fd00:6a:1::1'
 */
export function formatIp(address: IpAddress): string {
  const checked = ipFromBigInt(address.version, address.value);
  return checked.version === 4 ? formatIpv4(checked.value) : formatIpv6(checked.value);
}

/**
 * Canonical text of an address, for use as a map key or a stored value.
 *
 * @throws {WireGuardError} INVALID_ADDRESS
 * @example normalizeIp('FD00:6A:1:0::1') // → 'fd00:6a:1::1'
 */
export function normalizeIp(text: string): string {
  return formatIp(parseIp(text));
}
