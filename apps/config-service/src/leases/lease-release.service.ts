import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode, sha256 } from '@phoenix/common';
import { PeerAnnouncer } from '../fleet/peer-announcer';
import { TenantUsageStore } from '../fleet/tenant-usage.store';
import { LeasesRepository } from './leases.repository';

/**
 * Ends a lease at its holder's request (`DELETE /vpn/config`, the seed's "disconnect"): no identity,
 * only the lease id and the release token given with the config. The row is deleted and the node's
 * generation bumped in one transaction, then the removal is announced as expiry announces it, so
 * the node drops the peer at once (or at its next reconcile if the announcement is lost). Unknown,
 * ended and wrongly keyed leases get the same `404 UNKNOWN_LEASE`.
 */
@Injectable()
export class LeaseReleaseService {
  constructor(
    private readonly leases: LeasesRepository,
    private readonly announcer: PeerAnnouncer,
    private readonly usage: TenantUsageStore,
  ) {}

  async release(leaseId: string, releaseToken: string): Promise<void> {
    const released = await this.leases.release(leaseId.toLowerCase(), sha256(releaseToken));
    if (!released) throw new AppError(ErrorCode.UNKNOWN_LEASE, 'no live lease with that id and release token');
    this.announcer.announce({ nodeId: released.nodeId, generation: released.generation, added: [], removed: [released.publicKey] });
    const t = released.tenantLease;
    if (t) this.usage.held(t.tenantId, t.from, t.to);
  }
}
