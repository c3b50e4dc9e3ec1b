import { assertArray, assertInteger, describe, fail } from './assert';
import { Cidr, formatCidr, parseCidr } from './cidr';
import { WireGuardErrorCode } from './errors';
import { assertWireGuardKey } from './keys';

/** A peer as the interface should have it (desired) or has it (actual, e.g. a {@link WgDumpPeer}). */
export interface PeerSpec {
  readonly publicKey: string;
  readonly allowedIps: readonly string[];
}

/**
 * What to change so the interface matches the desired set. `add` and `update` carry normalized
 * allowed IPs (canonical, deduplicated, sorted); `remove` carries public keys.
 */
export interface PeerDiff {
  readonly add: readonly PeerSpec[];
  readonly update: readonly PeerSpec[];
  readonly remove: readonly string[];
}

/** Orders CIDRs as allowed-IPs lists are kept: IPv4 first, then by network, then by prefix. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  if (a.version !== b.version) return a.version - b.version;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefix - b.prefix;
}

/**
 * Canonical form of an allowed-IPs list: host bits masked (the kernel stores them masked),
 * canonical text, duplicates dropped, sorted — so two lists compare equal as sets.
 *
 * @throws {WireGuardError} INVALID_CIDR
 */
export function normalizeAllowedIps(allowedIps: readonly string[]): string[] {
  const parsed = assertArray<string>(allowedIps, 'allowedIps').map((c) => parseCidr(c, { allowHostBits: true }));
  return [...new Set(parsed.sort(compareCidrs).map(formatCidr))];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function normalizePeers(peers: readonly PeerSpec[], side: string, checkConflicts: boolean): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  const owner = new Map<string, string>();
  for (const peer of assertArray<PeerSpec>(peers, side)) {
    const key = assertWireGuardKey(peer?.publicKey, `${side} publicKey`);
    if (byKey.has(key)) fail(WireGuardErrorCode.INVALID_ARGUMENT, `${side} lists a peer twice`);
    const ips = normalizeAllowedIps(peer.allowedIps);
    if (checkConflicts) {
      // WireGuard silently moves an allowed IP to the last peer that claims it; two desired peers
      // with the same address means two leases share it, which must surface rather than be masked.
      for (const ip of ips) {
        if (owner.has(ip)) fail(WireGuardErrorCode.INVALID_ARGUMENT, `allowed IP ${describe(ip)} is claimed by two desired peers`);
        owner.set(ip, key);
      }
    }
    byKey.set(key, ips);
  }
  return byKey;
}

/**
 * Diffs the desired peer set against the interface's actual peers. Allowed IPs are compared as
 * normalized sets, so order, duplicates, case and host bits make no difference.
 *
 * @throws {WireGuardError} INVALID_KEY, INVALID_CIDR; INVALID_ARGUMENT when a key appears twice on
 *   one side or two desired peers claim the same allowed IP
 * @example diffPeers(desiredFromConfigService, parseWgDump(stdout).peers)
 */
export function diffPeers(desired: readonly PeerSpec[], actual: readonly PeerSpec[]): PeerDiff {
  const want = normalizePeers(desired, 'desired', true);
  const have = normalizePeers(actual, 'actual', false);
  const add: PeerSpec[] = [];
  const update: PeerSpec[] = [];
  for (const [publicKey, allowedIps] of want) {
    const current = have.get(publicKey);
    if (current === undefined) add.push({ publicKey, allowedIps });
    else if (!sameList(current, allowedIps)) update.push({ publicKey, allowedIps });
  }
  const remove = [...have.keys()].filter((key) => !want.has(key));
  return { add, update, remove };
}

/** True when the diff changes nothing. */
export function isEmptyPeerDiff(diff: PeerDiff): boolean {
  return diff.add.length === 0 && diff.update.length === 0 && diff.remove.length === 0;
}

/** Default peers per `wg set` call: ~110 bytes each keeps a call far below ARG_MAX (~2 MiB). */
export const DEFAULT_MAX_PEERS_PER_CALL = 1000;

/**
 * The arguments that follow `wg set <interface>` to apply a whole diff: removals first, then one
 * `peer <key> allowed-ips <a,b>` clause per added or updated peer (`allowed-ips` replaces the
 * peer's list; an empty value clears it). `wg set` accepts any number of peer clauses, so the diff
 * is one invocation — split only when larger than `maxPeersPerCall`, to stay under the kernel's
 * argument-size limit. Public keys and addresses are not secret, so argv is fine for them.
 *
 * @returns one argument list per `wg set` call (empty when the diff is empty)
 * @example wgSetPeerArgs(diff) // → [['peer', 'K1…=', 'remove', 'peer', 'K2…=', 'allowed-ips', '100.64.3.7/32']]
 */
export function wgSetPeerArgs(diff: PeerDiff, options: { maxPeersPerCall?: number } = {}): string[][] {
  const perCall = assertInteger(options.maxPeersPerCall ?? DEFAULT_MAX_PEERS_PER_CALL, 'maxPeersPerCall', 1, 100_000);
  const clauses: string[][] = [
    ...assertArray<string>(diff.remove, 'remove').map((key) => ['peer', assertWireGuardKey(key, 'remove key'), 'remove']),
    ...[...diff.add, ...diff.update].map((peer) => [
      'peer',
      assertWireGuardKey(peer.publicKey, 'publicKey'),
      'allowed-ips',
      normalizeAllowedIps(peer.allowedIps).join(','),
    ]),
  ];
  const calls: string[][] = [];
  for (let i = 0; i < clauses.length; i += perCall) calls.push(clauses.slice(i, i + perCall).flat());
  return calls;
}
