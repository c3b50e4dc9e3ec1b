import { describe, fail, parseDecimal } from './assert';
import { WireGuardError, WireGuardErrorCode } from './errors';
import { addressBits, formatIp, IpAddress, IpVersion, maxAddressValue, parseIp } from './ip';

/** An IP prefix in network form: `network` has no bits set below `prefix`. */
export interface Cidr {
  readonly version: IpVersion;
  readonly network: bigint;
  readonly prefix: number;
}

/** An address with a prefix length, host bits allowed (the form `ip address add` takes). */
export interface AddressWithPrefix {
  readonly address: IpAddress;
  readonly prefix: number;
}

function hostMask(version: IpVersion, prefix: number): bigint {
  return (1n << BigInt(addressBits(version) - prefix)) - 1n;
}

function splitPrefix(text: string): { address: IpAddress; prefix: number } {
  if (typeof text !== 'string') fail(WireGuardErrorCode.INVALID_CIDR, 'CIDR must be a string');
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    fail(WireGuardErrorCode.INVALID_CIDR, `not a CIDR (address/prefix): ${describe(text)}`);
  }
  let address: IpAddress;
  try {
    address = parseIp(text.slice(0, slash));
  } catch (error) {
    throw new WireGuardError(WireGuardErrorCode.INVALID_CIDR, `bad address in CIDR ${describe(text)}`, { cause: error });
  }
  const prefix = parseDecimal(text.slice(slash + 1), addressBits(address.version));
  if (prefix === null) fail(WireGuardErrorCode.INVALID_CIDR, `bad prefix length in CIDR ${describe(text)}`);
  return { address, prefix };
}

/**
 * Parses `address/prefix`. By default the address must be the network address (host bits clear),
 * because `100.64.0.1/16` used as a pool or a route is almost always a typo; pass
 * `{ allowHostBits: true }` to mask them off instead (e.g. when reading kernel or user input).
 *
 * @throws {WireGuardError} INVALID_CIDR
 * @example parseCidr('100.64.0.0/16') // → { version: 4, network: 1681915904n, prefix: 16 }
 */
export function parseCidr(text: string, options: { allowHostBits?: boolean } = {}): Cidr {
  const { address, prefix } = splitPrefix(text);
  const mask = hostMask(address.version, prefix);
  if ((address.value & mask) !== 0n && !options.allowHostBits) {
    fail(WireGuardErrorCode.INVALID_CIDR, `CIDR has host bits set: ${describe(text)}`);
  }
  return { version: address.version, network: address.value & ~mask, prefix };
}

/**
 * Parses `address/prefix` keeping the host part, as assigned to an interface
 * (`100.64.0.1/16` = address 100.64.0.1 on the 100.64.0.0/16 network).
 *
 * @throws {WireGuardError} INVALID_CIDR
 */
export function parseAddressWithPrefix(text: string): AddressWithPrefix {
  return splitPrefix(text);
}

/** Formats an {@link AddressWithPrefix} canonically (`100.64.0.1/16`). */
export function formatAddressWithPrefix(value: AddressWithPrefix): string {
  return `${formatIp(value.address)}/${value.prefix}`;
}

/** True when `text` is a CIDR in network form. */
export function isValidCidr(text: unknown): boolean {
  try {
    parseCidr(text as string);
    return true;
  } catch (error) {
    if (error instanceof WireGuardError) return false;
    throw error;
  }
}

/** Canonical text of a CIDR: `fd00:6a:1::/64`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ version: cidr.version, value: cidr.network })}/${cidr.prefix}`;
}

/**
 * Canonical network form of a CIDR, masking any host bits (`FD00:6A:1::5/64` → `fd00:6a:1::/64`).
 *
 * @throws {WireGuardError} INVALID_CIDR
 */
export function normalizeCidr(text: string): string {
  return formatCidr(parseCidr(text, { allowHostBits: true }));
}

/** Number of addresses in the prefix (2^(bits − prefix)). */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(addressBits(cidr.version) - cidr.prefix);
}

/** The first address (the network address). */
export function cidrFirst(cidr: Cidr): IpAddress {
  return { version: cidr.version, value: cidr.network };
}

/** The last address (the IPv4 broadcast address). */
export function cidrLast(cidr: Cidr): IpAddress {
  return { version: cidr.version, value: cidr.network | hostMask(cidr.version, cidr.prefix) };
}

/** True when `address` lies in `cidr` (an address of the other version never does). */
export function cidrContains(cidr: Cidr, address: IpAddress | string): boolean {
  const addr = typeof address === 'string' ? parseIp(address) : address;
  if (addr.version !== cidr.version) return false;
  return (addr.value & ~hostMask(cidr.version, cidr.prefix) & maxAddressValue(cidr.version)) === cidr.network;
}

/** True when every address of `inner` lies in `outer`. */
export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return outer.version === inner.version && inner.prefix >= outer.prefix && cidrContains(outer, cidrFirst(inner));
}

/** True when the two prefixes share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContainsCidr(a, b) || cidrContainsCidr(b, a);
}

/**
 * The address at offset `n` from the network address (0 = network address).
 *
 * @throws {WireGuardError} INVALID_ARGUMENT when `n` is outside [0, size)
 * @example formatIp(nthAddress(parseCidr('100.64.0.0/16'), 257n)) // → '100.64.1.1'
 */
export function nthAddress(cidr: Cidr, n: bigint): IpAddress {
  if (n < 0n || n >= cidrSize(cidr)) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, `offset ${n} is outside ${formatCidr(cidr)}`);
  }
  return { version: cidr.version, value: cidr.network + n };
}

/** A single-address CIDR for `address` (`/32` or `/128`). */
export function hostCidrOf(address: IpAddress): Cidr {
  return { version: address.version, network: address.value, prefix: addressBits(address.version) };
}

/**
 * Drops every CIDR contained in another one of the list and sorts the rest, so the result has no
 * overlaps (two CIDRs either nest or are disjoint). nftables rejects interval sets with
 * overlapping elements, and a canonical order keeps generated text stable.
 */
export function collapseCidrs(cidrs: readonly Cidr[]): Cidr[] {
  const sorted = [...cidrs].sort((a, b) =>
    a.version !== b.version ? a.version - b.version : a.network !== b.network ? (a.network < b.network ? -1 : 1) : a.prefix - b.prefix,
  );
  const out: Cidr[] = [];
  for (const cidr of sorted) {
    const last = out[out.length - 1];
    // Sorted by (network, prefix): a CIDR nested in an earlier kept one is contained by the last kept.
    if (last && cidrContainsCidr(last, cidr)) continue;
    out.push(cidr);
  }
  return out;
}
