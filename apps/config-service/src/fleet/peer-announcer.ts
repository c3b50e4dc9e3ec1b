import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { DesiredPeer, PeersChangedEvent, peersChangedChannel } from '@phoenix/common';
import { hostCidr } from '@phoenix/wireguard';
import { NODE_TRANSPORT } from '../core/core.module';

/** A lease as a node must configure it, with the tenant it belongs to (null: a consumer's). */
export function desiredPeer(publicKey: string, ipv4: string, ipv6: string | null, expiresAt: Date, tenantId: string | null): DesiredPeer & { tenantId: string | null } {
  return { publicKey, allowedIps: ipv6 ? [hostCidr(ipv4), hostCidr(ipv6)] : [hostCidr(ipv4)], expiresAt: expiresAt.toISOString(), tenantId };
}

/**
 * Announces peer changes to node-daemons over the Redis transport, each on its node's own channel
 * (`network.node.peers-changed.<nodeId>`, {@link peersChangedChannel}): only that node's daemon
 * is subscribed to it, so one announcement is delivered once, not to every node. Fire and forget: the generation was already bumped in Postgres, so a daemon that misses this
 * sees a gap at the next announcement or pulse and reconciles from `GET /nodes/:id/peers`.
 */
@Injectable()
export class PeerAnnouncer {
  private readonly logger = new Logger('PeerAnnouncer');

  constructor(@Inject(NODE_TRANSPORT) private readonly client: ClientProxy) {}

  announce(event: PeersChangedEvent): void {
    try {
      this.client.emit(peersChangedChannel(event.nodeId), event).subscribe({
        error: (e: unknown) => this.logger.warn(`peers-changed for node ${event.nodeId} (generation ${event.generation}) not sent: ${(e as Error).message}`),
      });
    } catch (e) {
      this.logger.warn(`peers-changed for node ${event.nodeId} not sent: ${(e as Error).message}`);
    }
  }
}
