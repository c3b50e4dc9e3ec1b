/**
 * Message patterns of the Redis transport (`@nestjs/microservices`, Transport.REDIS). One place
 * for every name, so a sender and its handler can never disagree on a string.
 */
export const Patterns = {
  /** Liveness round trip between services: `{from}` → `{service, at}`. */
  PING: 'platform.ping',
  /** job-worker → auth-service: rotate issuer keys. */
  ISSUER_ROTATE: 'identity.issuer-keys.rotate',
  /** job-worker → config-service: delete expired leases and remove their peers. */
  LEASES_EXPIRE: 'network.leases.expire',
  /** job-worker → config-service: reap nodes that stopped pulsing or expired. */
  NODES_REAP: 'network.nodes.reap',
  /** config-service → node-daemons (event): a node's desired peer set changed. */
  PEERS_CHANGED: 'network.node.peers-changed',
} as const;

export type Pattern = (typeof Patterns)[keyof typeof Patterns];

export interface PingReply {
  service: string;
  at: string;
}

/** A peer as the node must configure it (API.md `GET /nodes/:id/peers`). */
export interface DesiredPeer {
  publicKey: string;
  /** Host routes only: `["100.64.x.y/32", "fd00:…/128"]`. */
  allowedIps: string[];
  expiresAt: string;
}

/**
 * `network.node.peers-changed` (config-service → node-daemons, an event). Every daemon receives it
 * and keeps only its own `nodeId`. `generation` is the node's desired-state generation after the
 * change: a daemon whose last applied generation is not `generation - 1` missed an announcement
 * and reconciles against `GET /nodes/:id/peers` instead of applying the delta.
 */
export interface PeersChangedEvent {
  nodeId: string;
  generation: number;
  added: DesiredPeer[];
  removed: string[];
  /** The node is decommissioned: shut the interface. */
  decommissioned?: boolean;
}
