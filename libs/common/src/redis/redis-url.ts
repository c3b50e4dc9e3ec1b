/** One node of a Redis Cluster URL. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/**
 * Where a Redis URL points: one server (`redis://`, `rediss://`, as ioredis reads them), or a
 * Redis Cluster (`redis+cluster://`, `rediss+cluster://`): the seed nodes a client asks for the
 * cluster's slots, and the user every node knows (all nodes load the same aclfile).
 */
export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'cluster'; nodes: RedisClusterNode[]; username?: string; password?: string; tls: boolean };

export const REDIS_URL_PROTOCOLS = ['redis:', 'rediss:', 'redis+cluster:', 'rediss+cluster:'] as const;

// redis+cluster://[user[:password]@]host:port[,host:port…][/]: no database (a cluster has only db 0),
// no query. The user info may hold percent-escapes, never a raw `@`, `/`, `?` or `#`.
const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^@/?#]+)\/?$/i;
const NODE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function decode(part: string | undefined): string | undefined {
  if (part === undefined || part === '') return undefined;
  return decodeURIComponent(part);
}

/**
 * Reads a Redis URL (see {@link RedisTarget}).
 * @throws an Error saying what is wrong (never echoing the URL: it may hold a password)
 * @example
 * parseRedisUrl('redis+cluster://phoenix_network:pw@127.0.0.1:56381,127.0.0.1:56382')
 * // { kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 56381 }, …], username: 'phoenix_network', password: 'pw', tls: false }
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = CLUSTER_URL.exec(url);
  if (!m) {
    if (/^rediss?\+cluster:/i.test(url)) throw new Error('a Redis Cluster URL is redis+cluster://[user:password@]host:port[,host:port…] (no database, no query)');
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new Error('not a URL');
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') throw new Error(`must be ${REDIS_URL_PROTOCOLS.join(', ')}`);
    return { kind: 'server', url };
  }
  const [, scheme, userinfo, hosts] = m as unknown as [string, string, string | undefined, string];
  const colon = userinfo === undefined ? -1 : userinfo.indexOf(':');
  const username = userinfo === undefined ? undefined : decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = userinfo === undefined || colon < 0 ? undefined : decode(userinfo.slice(colon + 1));
  const nodes = hosts.split(',').map((h) => {
    const n = NODE.exec(h);
    const port = n ? Number(n[2]) : 0;
    if (!n || port < 1 || port > 65535) throw new Error('each Redis Cluster node is host:port');
    return { host: (n[1] as string).replace(/^\[|\]$/g, ''), port };
  });
  return { kind: 'cluster', nodes, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}), tls: scheme.toLowerCase() === 'rediss' };
}

/** True when `url` names a Redis Cluster (`redis+cluster://…`). */
export function isRedisClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:/i.test(url);
}
