import Redis from 'ioredis';
import type { PeersChanged, SimAgent } from './agent';

/** The channel config-service's Redis transport emits `peers-changed` on (libs/common Patterns.PEERS_CHANGED). */
export const PEERS_CHANGED = 'network.node.peers-changed';

interface Subscriber {
  client: Redis;
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
 * RedisPeerEvents): a plain ioredis subscriber, logged in as the node user, SUBSCRIBEd to
 * `network.node.peers-changed`; every subscriber receives every announcement and keeps its own
 * node's. A real fleet has one connection per node; here `connections` subscribers share the
 * agents (agent k on subscriber k mod connections), which is what one process can hold — Redis
 * then delivers each announcement `connections` times instead of N times (see {@link delivered}
 * to scale the fan-out to a real fleet).
 */
export class Announcements {
  private readonly subscribers: Subscriber[] = [];
  private added = 0;
  /** Messages Redis delivered to our subscribers (every connection counts each announcement). */
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
        await s.client.subscribe(PEERS_CHANGED);
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

  /** Routes the announcements of `agent`'s node to it (call once it has a node id). */
  add(agent: SimAgent): void {
    if (agent.nodeId === null || this.subscribers.length === 0) return;
    const sub = this.subscribers[this.added++ % this.subscribers.length] as Subscriber;
    sub.agents.set(agent.nodeId, agent);
  }

  async stop(): Promise<void> {
    for (const s of this.subscribers) s.client.disconnect(false);
    this.subscribers.length = 0;
  }

  private onMessage(sub: Subscriber, channel: string, message: string): void {
    if (channel !== PEERS_CHANGED) return;
    this.delivered++;
    const nodeId = packetNodeId(message);
    const agent = nodeId === null ? undefined : sub.agents.get(nodeId);
    if (!agent) return;
    const event = parsePacket(message);
    if (event === null || event.nodeId !== nodeId) {
      this.malformed++;
      return;
    }
    this.routed++;
    agent.onAnnouncement(event);
  }
}
