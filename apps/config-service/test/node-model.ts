// A node's side of the peer protocol, as specs need it: the rules node-daemon follows
// (libs/common PeersChangedEvent, API.md `GET /nodes/:id/peers` and the pulse), without WireGuard.
import type { DesiredPeer, PeersChangedEvent } from '@phoenix/common';

export type PeerSet = Map<string, DesiredPeer>;

/** What a node does with one announcement. */
export type Applied = 'applied' | 'stale' | 'gap';

/**
 * A node's desired state: the last generation applied and the peers. An announcement is applied
 * only when it is the next generation; an older or equal one is ignored; any other (a gap) asks
 * for a reconcile. A pulse answering another generation asks for one too, and so does the periodic
 * timer. A reconcile answer older than what was applied is taken only the second time in a row.
 */
export class NodeModel {
  generation: number | null = null;
  peers: PeerSet = new Map();
  reconciles = 0;
  gaps = 0;
  private olderSeen = 0;

  constructor(
    private readonly base: string,
    private readonly node: { id: string; nodeToken: string },
  ) {}

  /** `GET /nodes/:id/peers`, applied as node-daemon applies it. */
  async reconcile(): Promise<void> {
    const res = await fetch(`${this.base}/nodes/${this.node.id}/peers`, { headers: { authorization: `Bearer ${this.node.nodeToken}` } });
    if (res.status !== 200) throw new Error(`peers answered ${res.status}`);
    const set = (await res.json()) as { generation: number; peers: DesiredPeer[] };
    if (this.generation !== null && set.generation < this.generation && ++this.olderSeen < 2) return;
    this.olderSeen = 0;
    this.peers = new Map(set.peers.map((p) => [p.publicKey, p]));
    this.generation = set.generation;
    this.reconciles++;
  }

  /** One announcement, in arrival order. */
  apply(event: PeersChangedEvent): Applied {
    if (event.nodeId !== this.node.id) return 'stale';
    if (this.generation !== null && event.generation <= this.generation) return 'stale';
    if (this.generation === null || event.generation !== this.generation + 1) {
      this.gaps++;
      return 'gap';
    }
    for (const key of event.removed) this.peers.delete(key);
    for (const peer of event.added) this.peers.set(peer.publicKey, peer);
    this.generation = event.generation;
    return 'applied';
  }

  /** Applies an announcement and reconciles when it shows a gap, as the daemon does. */
  async receive(event: PeersChangedEvent): Promise<void> {
    if (this.apply(event) === 'gap') await this.reconcile();
  }

  /** A pulse: true when config-service's generation differs from ours (the daemon then reconciles). */
  async pulseSaysBehind(): Promise<boolean> {
    const res = await fetch(`${this.base}/nodes/${this.node.id}/pulse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.node.nodeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ load: 1, peers: this.peers.size, healthy: true }),
    });
    if (res.status !== 200) throw new Error(`pulse answered ${res.status}`);
    return ((await res.json()) as { generation: number }).generation !== this.generation;
  }
}

/** A peer set as comparable text: key → allowed IPs, sorted. */
export function describePeers(peers: Iterable<DesiredPeer>): string[] {
  return [...peers].map((p) => `${p.publicKey} ${p.allowedIps.join(',')}`).sort();
}
