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
