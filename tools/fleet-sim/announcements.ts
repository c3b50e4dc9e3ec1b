import Redis from 'ioredis';
import type { PeersChanged, SimAgent } from './agent';

/** The prefix of the channels config-service's Redis transport emits `peers-changed` on (libs/common Patterns.PEERS_CHANGED). */
export const PEERS_CHANGED = 'network.node.peers-changed';

/** One node's announcement channel, `network.node.peers-changed.<nodeId>` (libs/common peersChangedChannel). */
export function peersChangedChannel(nodeId: string): string {
  return `${PEERS_CHANGED}.${nodeId}`;
}

interface Subscriber {
  client: Redis;
  /** By channel: the agent whose node's channel this connection is subscribed to. */
  agents: Map<string, SimAgent>;
  wasReady: boolean;
  lost: boolean;
}

/** Pulls the `nodeId` out of a Redis-transport packet without parsing all of it (null if none). */
export function packetNodeId(message: string): string | null {
  const at = message.indexOf('"nodeId":"');
  if (at < 0) return null;
  const start = at + 10;
  const end = message.indexOf('"', start);
  return end < 0 ? null : message.slice(start, end);
}

/** Decodes one packet (`{"pattern","data"}`) into an announcement, or null when it is not one. */
export function parsePacket(message: string): PeersChanged | null {
  let packet: unknown;
  try {
    packet = JSON.parse(message);
  } catch {
    return null;
  }
  const data = (packet as { data?: unknown } | null)?.data as Partial<PeersChanged> | undefined;
  if (!data || typeof data.nodeId !== 'string' || typeof data.generation !== 'number' || !Array.isArray(data.added) || !Array.isArray(data.removed)) return null;
  return data as PeersChanged;
}

/**
 * Announcements to the simulated nodes, as node-daemon gets them (apps/node-daemon
 * RedisPeerEvents): a plain ioredis subscriber, logged in as the node user, SUBSCRIBEd to its own
 * node's channel (`network.node.peers-changed.<nodeId>`) once registered. A real fleet has one
 * connection per node; here `connections` subscribers share the agents (agent k on subscriber k
 * mod connections, each connection subscribed to its agents' channels), which is what one process
 * can hold. Either way Redis delivers each announcement once, to its node's subscriber:
 * {@link delivered} counts what reached us, as a real fleet would receive it.
 */
export class Announcements {
  private readonly subscribers: Subscriber[] = [];
  private readonly subscriberOf = new Map<SimAgent, Subscriber>();
  private readonly channelOf = new Map<SimAgent, string>();
  private added = 0;
  /** Messages Redis delivered to our subscribers (each announcement once, on its node's channel). */
  delivered = 0;
  /** Announcements that were for one of our agents. */
  routed = 0;
  malformed = 0;

  constructor(
    private readonly redisUrl: string,
    readonly connections: number,
  ) {
    if (!Number.isInteger(connections) || connections < 1) throw new Error('announcements: connections must be a positive integer');
  }

  /** Connects and subscribes every connection; resolves once all are subscribed (bounded by `timeoutMs`). */
  async start(timeoutMs = 20_000): Promise<void> {
    for (let i = 0; i < this.connections; i++) {
      const client = new Redis(this.redisUrl, {
        retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5000) * (0.5 + Math.random() / 2),
        maxRetriesPerRequest: null,
        enableReadyCheck: true,
        lazyConnect: true,
      });
      const sub: Subscriber = { client, agents: new Map(), wasReady: false, lost: false };
      client.on('error', () => undefined);
      client.on('close', () => {
        if (sub.wasReady) sub.lost = true;
      });
      client.on('ready', () => {
        // Back after a loss: announcements may have been missed, so every agent here reconciles.
        if (sub.wasReady && sub.lost) for (const agent of sub.agents.values()) agent.onReconnect();
        sub.wasReady = true;
        sub.lost = false;
      });
      client.on('message', (channel: string, message: string) => this.onMessage(sub, channel, message));
      this.subscribers.push(sub);
    }
    const all = Promise.all(
      this.subscribers.map(async (s) => {
        await s.client.connect();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`announcements: not subscribed within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Subscribes to the channel of `agent`'s node (call once it has a node id, and again when it
   * registered as another one: the old channel is let go). Resolves once subscribed.
   */
  async add(agent: SimAgent): Promise<void> {
    if (agent.nodeId === null || this.subscribers.length === 0) return;
    let sub = this.subscriberOf.get(agent);
    if (sub === undefined) {
      sub = this.subscribers[this.added++ % this.subscribers.length] as Subscriber;
      this.subscriberOf.set(agent, sub);
    }
    const channel = peersChangedChannel(agent.nodeId);
    const previous = this.channelOf.get(agent);
    if (previous === channel) return;
    this.channelOf.set(agent, channel);
    sub.agents.set(channel, agent);
    if (previous !== undefined) {
      sub.agents.delete(previous);
      await sub.client.unsubscribe(previous).catch(() => undefined);
    }
    await sub.client.subscribe(channel).catch(() => undefined);
  }

  async stop(): Promise<void> {
    for (const s of this.subscribers) s.client.disconnect(false);
    this.subscribers.length = 0;
    this.subscriberOf.clear();
    this.channelOf.clear();
  }

  private onMessage(sub: Subscriber, channel: string, message: string): void {
    const agent = sub.agents.get(channel);
    if (!agent) return;
    this.delivered++;
    const event = parsePacket(message);
    if (event === null || event.nodeId !== agent.nodeId || channel !== peersChangedChannel(event.nodeId)) {
      this.malformed++;
      return;
    }
    this.routed++;
    agent.onAnnouncement(event);
  }
}
