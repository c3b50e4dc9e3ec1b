import type { Clock } from '@phoenix/common';
import {
  CommandRunner,
  DesiredPeerSet,
  isEmptyPeerDiff,
  LeasedPeer,
  PeerDiff,
  PlannedPeerChange,
  wgApplyPeerDiff,
  WgDump,
  wgShowDump,
} from '@phoenix/wireguard';
import { NodeLogger } from './log';
import { NodeMetrics } from './node.metrics';

export interface PeerReconcilerDeps {
  runner: CommandRunner;
  clock: Clock;
  metrics: NodeMetrics;
  logger: NodeLogger;
}

/**
 * The interface's peers. Two ways to change them, both one batched `wg set`:
 * - {@link applyAll}, the full pass (start, heal, reconcile): dump the interface, diff it against
 *   the whole desired set, change the difference. Cost grows with the number of peers (a dump of
 *   10,000 peers is hundreds of milliseconds), and it corrects any drift.
 * - {@link applyChange}, one announced change: `wg set` for just those peers, no dump. Cost does not
 *   depend on how many peers the interface has; drift is left to the next full pass.
 * Leases already expired are never configured.
 */
export class PeerReconciler {
  constructor(
    private readonly iface: string,
    private readonly deps: PeerReconcilerDeps,
  ) {}

  /** Makes the live peers equal the desired set (minus expired leases); `dump` when one was just taken. */
  async applyAll(desired: DesiredPeerSet, dump: WgDump | null = null): Promise<PeerDiff> {
    const now = this.deps.clock.nowMs();
    const live = dump ?? (await wgShowDump(this.deps.runner, this.iface));
    let wanted = 0;
    const diff = desired.diff(live.peers, (p) => {
      if (isExpired(p, now)) return false;
      wanted++;
      return true;
    });
    this.deps.metrics.peers.set(wanted);
    if (isEmptyPeerDiff(diff)) return diff;
    await this.apply(diff, wanted);
    return diff;
  }

  /** Applies one planned change to the interface; `size` is the desired set's size after it. */
  async applyChange(planned: PlannedPeerChange, size: number): Promise<PeerDiff> {
    const now = this.deps.clock.nowMs();
    const expired = [...planned.add, ...planned.update].filter((p) => isExpired(p, now)).map((p) => p.publicKey);
    const diff: PeerDiff = {
      add: planned.add.filter((p) => !isExpired(p, now)),
      update: planned.update.filter((p) => !isExpired(p, now)),
      remove: [...planned.remove, ...expired],
    };
    this.deps.metrics.peers.set(size);
    if (isEmptyPeerDiff(diff)) return diff;
    await this.apply(diff, size);
    return diff;
  }

  private async apply(diff: PeerDiff, size: number): Promise<void> {
    await wgApplyPeerDiff(this.deps.runner, this.iface, diff);
    const m = this.deps.metrics.peerChanges;
    if (diff.add.length) m.inc({ change: 'add' }, diff.add.length);
    if (diff.update.length) m.inc({ change: 'update' }, diff.update.length);
    if (diff.remove.length) m.inc({ change: 'remove' }, diff.remove.length);
    this.deps.logger.log(`peers: +${diff.add.length} ~${diff.update.length} -${diff.remove.length} (now ${size})`);
  }
}

function isExpired(peer: LeasedPeer, nowMs: number): boolean {
  return Date.parse(peer.expiresAt) <= nowMs;
}
