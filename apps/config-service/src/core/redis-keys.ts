/**
 * Every Redis key config-service uses, under one prefix (`REDIS_KEY_PREFIX`, default `network:`, the
 * network side's Redis namespace). Keys that one command, script or transaction names together
 * share a `{hash tag}`, so they lie in one slot of a Redis Cluster (README "Redis Cluster").
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** A spent token, keyed on its nonce (hex). Alone in every command (SET NX, compare-and-delete). */
  spentToken(nonceHex: string): string {
    return `${this.prefix}spent:${nonceHex}`;
  }

  /**
   * A node's hot metrics from its last pulse (hash). Tagged with the node, like {@link nodeAssigned}:
   * a pulse writes both in one transaction, erasure deletes both in one command.
   */
  nodePulse(nodeId: string): string {
    return `${this.prefix}node:{${nodeId}}:pulse`;
  }

  /**
   * The version of the fleet's node rows (a counter): every replica that changes a node row moves
   * it on, and selection reads a location's rows again only when it moved. Alone in every command.
   */
  nodeRowsVersion(): string {
    return `${this.prefix}nodes:version`;
  }

  /** Leases handed to a node since its last pulse (counter, shared by replicas); in its node's slot. */
  nodeAssigned(nodeId: string): string {
    return `${this.prefix}node:{${nodeId}}:assigned`;
  }

  /**
   * The fleet totals of one UTC hour (hash `<location>:<counter>` → count; shared by replicas).
   * `hour` is the hour's start as `YYYY-MM-DDTHH`: the key names a time and nothing else. Every
   * hour shares the `{totals}` tag: the report reads several hours in one transaction.
   */
  fleetHour(hour: string): string {
    return `${this.prefix}fleet:{totals}:${hour}`;
  }

  /**
   * A tenant's usage of one UTC day (hash `<tenantId>:<counter>` → total; shared by replicas).
   * `day` is `YYYY-MM-DD`. Every day, and the set of days changed since the last report
   * ({@link tenantUsageDirty}), share the `{usage}` tag: the report reads them in one transaction.
   */
  tenantUsageDay(day: string): string {
    return `${this.prefix}tenant-usage:{usage}:${day}`;
  }

  /** The days whose tenant usage changed since a report last read them (set of `YYYY-MM-DD`). */
  tenantUsageDirty(): string {
    return `${this.prefix}tenant-usage:{usage}:changed`;
  }

  /** A maintenance lock so that one replica runs a command every replica received. */
  lock(name: string): string {
    return `${this.prefix}lock:${name}`;
  }
}
