import type { DesiredPeer, PeersChangedEvent } from '@phoenix/common';
import { Cidr, DesiredPeerSet, PlannedPeerChange } from '@phoenix/wireguard';
import { messageOf, NodeLogger } from './log';
import { NodeSnapshot, NodeStore } from './node-state.store';

/**
 * What the node knows and remembers across restarts: its id, the desired peer set and its
 * generation, and whether it was decommissioned. A whole new set (a reconcile) is saved as a
 * snapshot; an announced change is appended to the journal before anyone acts on it.
 */
export class NodeState {
  private id: string | null = null;
  private applied: number | null = null;
  /** `null` while no desired set was ever learnt (then live peers are never touched). */
  private peers: DesiredPeerSet | null = null;
  private gone = false;

  constructor(
    private readonly store: NodeStore,
    private readonly pools: readonly Cidr[],
    private readonly logger: NodeLogger,
  ) {}

  get nodeId(): string | null {
    return this.id;
  }

  get generation(): number | null {
    return this.applied;
  }

  get desired(): DesiredPeerSet | null {
    return this.peers;
  }

  get decommissioned(): boolean {
    return this.gone;
  }

  /** Loads the snapshot and replays the journal, then compacts them, so this run appends to an empty journal. */
  async restore(): Promise<void> {
    const snapshot = await this.store.load();
    this.id = snapshot.nodeId;
    this.applied = snapshot.generation;
    this.peers = snapshot.peers === null ? null : this.sanitized(snapshot.peers);
    this.gone = snapshot.decommissioned;
    await this.save();
  }

  /** Registered as `id`: another identity than before (a rebuilt config-service) voids the generation. */
  async adoptNodeId(id: string): Promise<void> {
    if (this.id === id) return;
    if (this.id !== null) this.applied = null;
    this.id = id;
    await this.save();
  }

  /** A whole desired set from config-service; returns it as kept. */
  async replace(peers: readonly DesiredPeer[], generation: number): Promise<DesiredPeerSet> {
    const set = (this.peers = this.sanitized(peers));
    this.applied = generation;
    await this.save();
    return set;
  }

  /**
   * Plans the announced next generation against the set (null when there is no set to change).
   * Nothing changes until {@link record}.
   */
  plan(event: PeersChangedEvent): PlannedPeerChange | null {
    if (this.peers === null) return null;
    const planned = this.peers.plan(event.generation, event.added, event.removed);
    if (planned.dropped > 0) this.logger.warn(`ignored ${planned.dropped} announced peer(s) with an invalid key or an address outside this node's pools or held by another peer`);
    return planned;
  }

  /** Journals a planned change (write-ahead: before the interface is touched), then takes it; returns the set. */
  async record(planned: PlannedPeerChange): Promise<DesiredPeerSet> {
    const peers = this.peers;
    if (peers === null) throw new Error('no desired set to change');
    try {
      await this.store.append(planned.change);
      peers.apply(planned.change);
      this.applied = planned.change.generation;
    } catch (error) {
      // The journal is unusable: take the change and fall back on a whole snapshot.
      this.logger.warn(`could not journal the change: ${messageOf(error)}; saving the whole state instead`);
      peers.apply(planned.change);
      this.applied = planned.change.generation;
      await this.save();
    }
    return peers;
  }

  /** Forgets the peers and remembers that this node must stay down. */
  async decommission(): Promise<void> {
    this.gone = true;
    this.peers = null;
    this.applied = null;
    await this.save();
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private sanitized(peers: readonly DesiredPeer[]): DesiredPeerSet {
    const { set, dropped } = DesiredPeerSet.from(peers, this.pools);
    if (dropped > 0) this.logger.warn(`ignored ${dropped} desired peer(s) with an invalid key or addresses outside this node's pools`);
    return set;
  }

  private async save(): Promise<void> {
    const snapshot: NodeSnapshot = {
      nodeId: this.id,
      generation: this.applied,
      peers: this.peers === null ? null : [...this.peers.values()],
      decommissioned: this.gone,
    };
    try {
      await this.store.save(snapshot);
    } catch (error) {
      this.logger.warn(`could not save state: ${messageOf(error)}`);
    }
  }
}
