/** Every Redis key config-service uses, under one prefix (`REDIS_KEY_PREFIX`, default `network:`, the network side's Redis namespace). */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** A spent token, keyed on its nonce (hex). */
  spentToken(nonceHex: string): string {
    return `${this.prefix}spent:${nonceHex}`;
  }

  /** A node's hot metrics from its last pulse (hash). */
  nodePulse(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:pulse`;
  }

  /** Leases handed to a node since its last pulse (counter, shared by replicas). */
  nodeAssigned(nodeId: string): string {
    return `${this.prefix}node:${nodeId}:assigned`;
  }

  /** A maintenance lock so that one replica runs a command every replica received. */
  lock(name: string): string {
    return `${this.prefix}lock:${name}`;
  }
}
