import { RandomSource, allocateRandomAddress, isWireGuardError, normalizeIp, parseCidr, WireGuardErrorCode } from '@phoenix/wireguard';

export interface AddressPools {
  readonly v4: string;
  readonly v6: string | null;
}

export interface AddressCandidate {
  readonly ipv4: string;
  readonly ipv6: string | null;
}

/**
 * `count` random address pairs from the node's pools, distinct from each other and from `tried`
 * (earlier candidates of the same request) and never one of `reserved` (gateway, DNS). Whether an
 * address is free is not known here: the database's unique constraints decide, so nothing scales
 * with the number of existing leases. Never sequential, never derived from the client's key.
 */
export function addressCandidates(pools: AddressPools, count: number, random: RandomSource, reserved: readonly string[], tried: Set<string>): AddressCandidate[] {
  const out: AddressCandidate[] = [];
  // Pools and reserved addresses parsed once for the whole draw, not once per address (canonical
  // text, as the allocator hands addresses out).
  const v4 = parseCidr(pools.v4);
  const v6 = pools.v6 ? parseCidr(pools.v6) : null;
  const never = new Set(reserved.map(normalizeIp));
  const taken = (address: string) => tried.has(address) || never.has(address);
  for (let i = 0; i < count; i++) {
    try {
      const ipv4 = allocateRandomAddress(v4, taken, random);
      tried.add(ipv4);
      let ipv6: string | null = null;
      if (v6) {
        ipv6 = allocateRandomAddress(v6, taken, random);
        tried.add(ipv6);
      }
      out.push({ ipv4, ipv6 });
    } catch (e) {
      // A tiny pool whose every address was already tried by this request.
      if (isWireGuardError(e, WireGuardErrorCode.POOL_EXHAUSTED)) break;
      throw e;
    }
  }
  return out;
}
