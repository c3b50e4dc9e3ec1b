import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import { parseRedisUrl } from './redis-url';

/** A client of one Redis server or of a Redis Cluster: the commands both answer alike. */
export type RedisClient = Redis | Cluster;

// The options ioredis' Cluster takes for itself; every other RedisOptions key is one of each node's
// connections (`redisOptions`). `retryStrategy` becomes `clusterRetryStrategy` (the cluster's own
// reconnect once every node is gone; a lost node is found again through the slots, not retried).
const CLUSTER_OWN = new Set<string>([
  'enableOfflineQueue',
  'enableReadyCheck',
  'enableAutoPipelining',
  'autoPipeliningIgnoredCommands',
  'lazyConnect',
  'scaleReads',
  'maxRedirections',
  'retryDelayOnFailover',
  'retryDelayOnClusterDown',
  'retryDelayOnTryAgain',
  'retryDelayOnMoved',
  'slotsRefreshTimeout',
  'slotsRefreshInterval',
  'keyPrefix',
]);

/**
 * A new ioredis client for `url` with `options`: a `Redis` for `redis://`/`rediss://`, an
 * `ioredis.Cluster` for `redis+cluster://`/`rediss+cluster://` (README "Redis Cluster"), the
 * options split between the cluster and its node connections as ioredis wants them.
 *
 * On a cluster, a command's keys must share a hash slot when it names several (a script, a
 * MULTI, a pipeline): keep them under one `{tag}`.
 */
export function newRedisClient(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'server') return new Redis(url, options);
  const { retryStrategy, ...rest } = options;
  const own: Record<string, unknown> = {};
  const perNode: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) (CLUSTER_OWN.has(k) ? own : perNode)[k] = v;
  const clusterOptions: ClusterOptions = {
    ...(own as ClusterOptions),
    ...('retryStrategy' in options ? { clusterRetryStrategy: retryStrategy ?? null } : {}),
    redisOptions: {
      ...(perNode as ClusterOptions['redisOptions']),
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  };
  return new Cluster(target.nodes, clusterOptions);
}

/** True when `client` is an `ioredis.Cluster`. */
export function isRedisCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * How many clients listen on `channel` anywhere. One server counts its own subscribers
 * (`PUBSUB NUMSUB`); on a cluster every node counts only those connected to it (a PUBLISH
 * reaches them all, over the cluster bus), so the counts of every node, replicas included, add up.
 */
export async function channelListeners(client: RedisClient, channel: string): Promise<number> {
  const nodes = isRedisCluster(client) ? client.nodes('all') : [client];
  // A cluster client knows its nodes once it has the slots: none known means no answer, not zero.
  if (nodes.length === 0) throw new Error("Cluster isn't ready: no node known yet");
  const counts = await Promise.all(nodes.map(async (n) => Number(((await n.pubsub('NUMSUB', channel)) as [string, number])[1])));
  return counts.reduce((a, b) => a + b, 0);
}
