import { Logger } from '@nestjs/common';
import { PeersChangedEvent, type RedisClient, logRedisErrors, newRedisClient, peersChangedChannel } from '@phoenix/common';
import { z } from 'zod';
import { PeerEvents } from './control-plane';

const eventSchema = z.object({
  nodeId: z.string().min(1),
  generation: z.number().int().min(0),
  added: z.array(z.object({ publicKey: z.string(), allowedIps: z.array(z.string()), expiresAt: z.string(), tenantId: z.string().nullish() })),
  removed: z.array(z.string()),
  decommissioned: z.boolean().optional(),
});

/**
 * Receives this node's `peers-changed` announcements from the Redis transport: it SUBSCRIBEs to
 * its own node's channel only (`network.node.peers-changed.<nodeId>`, `peersChangedChannel`),
 * once registered ({@link follow}), and moves to the new id's channel after a registration that
 * gave another id; Redis then delivers it this node's announcements and no other's. It speaks the wire format of
 * `@nestjs/microservices`' Redis transport (channel = pattern, message = `{"pattern","data"}`),
 * so config-service's `ClientProxy.emit` reaches it, but it is a plain ioredis subscriber
 * rather than a Nest microservice server, because a node needs three things that server lacks:
 * starting while Redis is down (Nest's server fails `listen` then), reconnecting forever (it
 * stops after the first disconnect unless given a retry count), and knowing when the link came
 * back, to reconcile the announcements it may have missed meanwhile.
 *
 * On a Redis Cluster (`redis+cluster://`) it is an ioredis Cluster client: its one subscriber
 * connection, on any node, hears every announcement (a PUBLISH reaches every node). When that
 * node goes away the client subscribes again on another without a `close`/`ready` of its own, so
 * announcements missed meanwhile are caught by the generation gap the next one shows, or by the
 * periodic reconcile.
 */
export class RedisPeerEvents implements PeerEvents {
  private readonly logger = new Logger('PeerEvents');
  private client: RedisClient | null = null;
  private wasReady = false;
  private lostSinceReady = false;
  /** The channel of the node followed (null: not registered yet, nothing subscribed). */
  private channel: string | null = null;

  constructor(private readonly redisUrl: string) {}

  follow(nodeId: string): void {
    let channel: string;
    try {
      channel = peersChangedChannel(nodeId);
    } catch {
      this.logger.warn('not following announcements: the node id is not one');
      return;
    }
    if (channel === this.channel) return;
    const previous = this.channel;
    this.channel = channel;
    const client = this.client;
    if (client === null) return; // start() subscribes
    // Subscriptions are kept by ioredis across reconnects; the old node's channel is let go.
    if (previous !== null) client.unsubscribe(previous).catch((error: Error) => this.logger.warn(`unsubscribe failed: ${error.message}`));
    client.subscribe(channel).catch((error: Error) => this.logger.warn(`subscribe failed: ${error.message}`));
  }

  start(onEvent: (event: PeersChangedEvent) => void, onReconnect: () => void): void {
    const client = logRedisErrors(
      newRedisClient(this.redisUrl, {
        // Retry forever with a capped, jittered delay; commands wait for the connection.
        retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5000) * (0.5 + Math.random() / 2),
        maxRetriesPerRequest: null,
        enableReadyCheck: true,
      }),
      'peer-events',
    );
    this.client = client;
    client.on('close', () => {
      if (this.wasReady) this.lostSinceReady = true;
    });
    client.on('ready', () => {
      if (this.wasReady && this.lostSinceReady) {
        this.logger.log('peer announcements reconnected: reconciling what may have been missed');
        onReconnect();
      }
      this.wasReady = true;
      this.lostSinceReady = false;
    });
    client.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const event = parseEvent(message);
      if (event === null) {
        this.logger.warn('ignored a malformed peers-changed announcement');
        return;
      }
      onEvent(event);
    });
    if (this.channel !== null) client.subscribe(this.channel).catch((error: Error) => this.logger.warn(`subscribe failed: ${error.message}`));
  }

  connected(): boolean {
    return this.client?.status === 'ready';
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client === null) return;
    client.disconnect(false);
  }
}

/** Decodes one Redis-transport packet (`{"pattern","data"}`) into a validated event, or null. */
export function parseEvent(message: string): PeersChangedEvent | null {
  let packet: unknown;
  try {
    packet = JSON.parse(message);
  } catch {
    return null;
  }
  const data = typeof packet === 'object' && packet !== null && 'data' in packet ? (packet as { data: unknown }).data : undefined;
  const parsed = eventSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
}
