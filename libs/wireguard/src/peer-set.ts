import { Cidr, cidrContainsCidr, formatCidr, parseCidr } from './cidr';
import { isValidWireGuardKey } from './keys';
import { compareCidrs, PeerDiff, PeerSpec } from './peer-diff';

/** A peer a node is told to configure: a {@link PeerSpec} with the end of its lease. */
export interface LeasedPeer extends PeerSpec {
  readonly allowedIps: string[];
  readonly expiresAt: string;
  /** The tenant the lease belongs to (a UUID), null or absent for a consumer lease: what the node meters per tenant. */
  readonly tenantId?: string | null;
}

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One change to a desired set, as a node journals it: the peers set (added, or replaced with new
 * addresses or a new expiry) and the keys removed. Keys in `removed` never appear in `upserted`.
 */
export interface PeerSetChange {
  readonly generation: number;
  readonly upserted: readonly LeasedPeer[];
  readonly removed: readonly string[];
}

/** A planned change and what it does to the interface (only these peers, no dump needed). */
export interface PlannedPeerChange {
  readonly change: PeerSetChange;
  /** Peers not in the set before. */
  readonly add: readonly LeasedPeer[];
  /** Peers in the set before whose allowed IPs change (a new expiry alone changes nothing live). */
  readonly update: readonly LeasedPeer[];
  /** Keys to remove from the interface (removing a key the interface lacks is a no-op for `wg set`). */
  readonly remove: readonly string[];
  /** Announced peers dropped: a bad key or address, or an address another peer keeps. */
  readonly dropped: number;
}

/**
 * The set of peers a node may configure, indexed by key and by allowed IP, so that one announced
 * change is checked and applied in time independent of the set's size. Whatever it holds is safe
 * to hand to `wg set`: valid keys, host routes inside the node's pools (a peer claiming
 * 0.0.0.0/0 would capture other clients' traffic), no key or address claimed twice — WireGuard
 * silently moves an address to the last peer that claims it, which would hand one user's traffic
 * to another.
 */
export class DesiredPeerSet {
  private readonly byKey = new Map<string, LeasedPeer>();
  /** allowed IP (canonical) → the key that holds it. */
  private readonly owners = new Map<string, string>();

  private constructor(private readonly pools: readonly Cidr[]) {}

  /**
   * Builds a set from a whole desired list (config-service's answer, or the state directory).
   * Peers are taken in order; one that is invalid or claims an address already taken is dropped.
   *
   * @example DesiredPeerSet.from(state.peers, [parseCidr('100.64.0.0/16')]).set.size
   */
  static from(peers: readonly LeasedPeer[], pools: readonly Cidr[]): { set: DesiredPeerSet; dropped: number } {
    const set = new DesiredPeerSet(pools);
    let dropped = 0;
    for (const peer of peers) {
      const checked = set.check(peer);
      if (checked === null || set.byKey.has(checked.publicKey) || checked.allowedIps.some((ip) => set.owners.has(ip))) dropped++;
      else set.put(checked);
    }
    return { set, dropped };
  }

  get size(): number {
    return this.byKey.size;
  }

  get(publicKey: string): LeasedPeer | undefined {
    return this.byKey.get(publicKey);
  }

  values(): IterableIterator<LeasedPeer> {
    return this.byKey.values();
  }

  /**
   * Plans an announced change against this set, without changing it: removals are valid keys not
   * re-added; an announced peer is kept when valid and none of its addresses stays with another
   * peer. Addresses are released only by peers removed here or replaced here (whose replacement
   * was itself kept), so the set never ends with an address claimed twice — when in doubt the
   * announced peer is dropped and the next full reconcile settles it.
   */
  plan(generation: number, added: readonly LeasedPeer[], removed: readonly string[]): PlannedPeerChange {
    let dropped = 0;
    const candidates: LeasedPeer[] = [];
    const keys = new Set<string>();
    for (const peer of added) {
      const checked = this.check(peer);
      if (checked === null || keys.has(checked.publicKey)) {
        dropped++;
        continue;
      }
      keys.add(checked.publicKey);
      candidates.push(checked);
    }
    const removing = new Set(removed.filter((key) => isValidWireGuardKey(key) && !keys.has(key)));
    // Replacements first: an address they give up may be taken by a new peer of the same change.
    const ordered = [...candidates.filter((p) => this.byKey.has(p.publicKey)), ...candidates.filter((p) => !this.byKey.has(p.publicKey))];
    const replaced = new Set<string>();
    const claimed = new Set<string>();
    const upserted: LeasedPeer[] = [];
    const add: LeasedPeer[] = [];
    const update: LeasedPeer[] = [];
    for (const peer of ordered) {
      const taken = peer.allowedIps.some((ip) => {
        const owner = this.owners.get(ip);
        return claimed.has(ip) || (owner !== undefined && owner !== peer.publicKey && !removing.has(owner) && !replaced.has(owner));
      });
      if (taken) {
        dropped++;
        continue;
      }
      peer.allowedIps.forEach((ip) => claimed.add(ip));
      upserted.push(peer);
      const before = this.byKey.get(peer.publicKey);
      if (before === undefined) add.push(peer);
      else {
        replaced.add(peer.publicKey);
        if (!sameList(before.allowedIps, peer.allowedIps)) update.push(peer);
      }
    }
    const change: PeerSetChange = { generation, upserted, removed: [...removing] };
    return { change, add, update, remove: change.removed, dropped };
  }

  /**
   * What to change so the interface (its peers as `parseWgDump` gives them: canonical CIDRs)
   * matches the peers of this set that `wanted` keeps — the same answer as `diffPeers`, in the
   * same order, without parsing a single address again: this set is canonical and conflict-free
   * by construction, which keeps a full pass over 10,000 peers cheap.
   */
  diff(actual: readonly PeerSpec[], wanted: (peer: LeasedPeer) => boolean = () => true): PeerDiff {
    const live = new Map(actual.map((p) => [p.publicKey, p.allowedIps]));
    const add: PeerSpec[] = [];
    const update: PeerSpec[] = [];
    const kept = new Set<string>();
    for (const peer of this.byKey.values()) {
      if (!wanted(peer)) continue;
      kept.add(peer.publicKey);
      const current = live.get(peer.publicKey);
      if (current === undefined) add.push({ publicKey: peer.publicKey, allowedIps: peer.allowedIps });
      else if (!sameSet(current, peer.allowedIps)) update.push({ publicKey: peer.publicKey, allowedIps: peer.allowedIps });
    }
    const remove = actual.map((p) => p.publicKey).filter((key) => !kept.has(key));
    return { add, update, remove };
  }

  /** Applies a change planned by {@link plan} on this set (or read back from a journal of them). */
  apply(change: PeerSetChange): void {
    for (const key of change.removed) this.delete(key);
    for (const peer of change.upserted) {
      this.delete(peer.publicKey);
      this.put(peer);
    }
  }

  private put(peer: LeasedPeer): void {
    this.byKey.set(peer.publicKey, peer);
    for (const ip of peer.allowedIps) this.owners.set(ip, peer.publicKey);
  }

  private delete(publicKey: string): void {
    const before = this.byKey.get(publicKey);
    if (before === undefined) return;
    this.byKey.delete(publicKey);
    for (const ip of before.allowedIps) if (this.owners.get(ip) === publicKey) this.owners.delete(ip);
  }

  /**
   * The peer in canonical form (allowed IPs as `normalizeAllowedIps` gives them: masked, canonical
   * text, deduplicated, sorted), or null when it must not be configured on this node. Each
   * address is parsed once.
   */
  private check(peer: LeasedPeer): LeasedPeer | null {
    try {
      if (!isValidWireGuardKey(peer.publicKey) || !Array.isArray(peer.allowedIps)) return null;
      const cidrs: Cidr[] = [];
      for (const text of peer.allowedIps) {
        const cidr = parseCidr(text, { allowHostBits: true });
        const host = cidr.prefix === (cidr.version === 4 ? 32 : 128);
        if (!host || !this.pools.some((pool) => cidrContainsCidr(pool, cidr))) return null;
        cidrs.push(cidr);
      }
      cidrs.sort(compareCidrs);
      const ips = [...new Set(cidrs.map(formatCidr))];
      // A tenant id that is not a UUID is no tenant (the peer is still configured, just not metered).
      const tenant = typeof peer.tenantId === 'string' && TENANT_ID.test(peer.tenantId) ? { tenantId: peer.tenantId.toLowerCase() } : {};
      return { publicKey: peer.publicKey, allowedIps: ips, expiresAt: peer.expiresAt, ...tenant };
    } catch {
      return null;
    }
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Equal as sets (both sides free of duplicates: a peer's list here, a dump's list there). */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value) => b.includes(value));
}
