import { fail } from './assert';
import { Cidr, cidrContains, cidrSize, formatCidr, parseCidr } from './cidr';
import { WireGuardErrorCode } from './errors';
import { addressBits, formatIp, IpAddress, parseIp } from './ip';
import { randomBelow, RandomSource } from './random';

/**
 * Addresses already taken: a set of canonical address strings (as returned by
 * {@link allocateRandomAddress} / `normalizeIp`), or a predicate answering "is this one taken?".
 */
export type UsedAddresses = ReadonlySet<string> | ((address: string) => boolean);

/** Options of {@link allocateRandomAddress}. */
export interface AllocateOptions {
  /** More addresses never to hand out (e.g. a DNS resolver's). Any text form; normalized here. */
  readonly reserved?: Iterable<string>;
  /** Random draws before falling back to a scan. Default 64. */
  readonly maxAttempts?: number;
  /** Most candidates the fallback scan may test when `used` is a predicate. Default 2^20. */
  readonly maxScan?: number;
}

const DEFAULT_MAX_ATTEMPTS = 64;
const DEFAULT_MAX_SCAN = 1 << 20;

function toPool(pool: string | Cidr): Cidr {
  return typeof pool === 'string' ? parseCidr(pool) : pool;
}

/**
 * The range a client address may come from: after the network address (and, in IPv6, the
 * subnet-router anycast address, which is the same all-zero host id — RFC 4291 §2.6.1) and the
 * gateway (first host), and before the IPv4 broadcast address.
 */
function hostRange(pool: Cidr): { first: bigint; count: bigint } {
  const first = pool.network + 2n;
  const count = cidrSize(pool) - (pool.version === 4 ? 3n : 2n);
  return { first, count: count > 0n ? count : 0n };
}

/**
 * The node's own address in a tunnel pool: the first host (`100.64.0.0/16` → `100.64.0.1`).
 *
 * @throws {WireGuardError} INVALID_CIDR for a bad pool, POOL_EXHAUSTED if the pool has no hosts
 * @example gatewayAddress('fd00:6a:1::/64') // → 'fd00:6a:1::1'
 */
export function gatewayAddress(pool: string | Cidr): string {
  const cidr = toPool(pool);
  if (cidrSize(cidr) < 4n) fail(WireGuardErrorCode.POOL_EXHAUSTED, `pool ${formatCidr(cidr)} is too small for a gateway and clients`);
  return formatIp({ version: cidr.version, value: cidr.network + 1n });
}

/**
 * A single-address CIDR for a client address: `/32` for IPv4, `/128` for IPv6.
 *
 * @throws {WireGuardError} INVALID_ADDRESS
 * @example hostCidr('100.64.3.7') // → '100.64.3.7/32'
 */
export function hostCidr(address: string | IpAddress): string {
  const addr = typeof address === 'string' ? parseIp(address) : address;
  return `${formatIp(addr)}/${addressBits(addr.version)}`;
}

/** Number of addresses {@link allocateRandomAddress} can hand out from an empty pool. */
export function allocatableCount(pool: string | Cidr): bigint {
  return hostRange(toPool(pool)).count;
}

/**
 * Picks a free client address uniformly at random from `pool`.
 *
 * Never sequential and never derived from the client's key: a sequential or key-derived address
 * would let anyone who sees two addresses order or link the sessions behind them. Excluded: the
 * network address, the IPv4 broadcast address, the gateway (first host), `reserved` and `used`.
 * After `maxAttempts` random misses (a nearly full pool) it scans linearly from a random start,
 * so it still finds the last free address.
 *
 * @param pool a CIDR such as `100.64.0.0/16` or `fd00:6a:1::/64` (network form)
 * @param used taken addresses (canonical strings) or a predicate
 * @param random the randomness source (inject a seeded one in tests)
 * @returns the canonical text of the chosen address (wrap with {@link hostCidr} for AllowedIPs)
 * @throws {WireGuardError} POOL_EXHAUSTED when no free address exists (or none within `maxScan`
 *   candidates when `used` is a predicate); INVALID_CIDR for a bad pool
 * @example allocateRandomAddress('100.64.0.0/16', new Set(), randomBytes) // → e.g. '100.64.181.23'
 */
export function allocateRandomAddress(
  pool: string | Cidr,
  used: UsedAddresses,
  random: RandomSource,
  options: AllocateOptions = {},
): string {
  const cidr = toPool(pool);
  const { first, count } = hostRange(cidr);
  if (count === 0n) fail(WireGuardErrorCode.POOL_EXHAUSTED, `pool ${formatCidr(cidr)} has no client addresses`);

  const reserved = new Set<string>();
  for (const text of options.reserved ?? []) {
    const address = parseIp(text);
    if (cidrContains(cidr, address)) reserved.add(formatIp(address));
  }
  const isUsed = typeof used === 'function' ? used : (address: string) => used.has(address);
  const isFree = (value: bigint): string | null => {
    const text = formatIp({ version: cidr.version, value });
    return reserved.has(text) || isUsed(text) ? null : text;
  };

  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const found = isFree(first + randomBelow(count, random));
    if (found !== null) return found;
  }

  // Fallback for a nearly full pool. With a Set we know how many addresses can be taken, so
  // scanning one more than that from any start is guaranteed to hit a free one if any exists.
  const taken = typeof used === 'function' ? null : BigInt(used.size + reserved.size);
  let limit = taken === null ? BigInt(options.maxScan ?? DEFAULT_MAX_SCAN) : taken + 1n;
  if (limit > count) limit = count;
  const start = randomBelow(count, random);
  for (let i = 0n; i < limit; i++) {
    const found = isFree(first + ((start + i) % count));
    if (found !== null) return found;
  }
  fail(WireGuardErrorCode.POOL_EXHAUSTED, `no free address in pool ${formatCidr(cidr)}`);
}
