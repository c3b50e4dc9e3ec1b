import { SIDE_REDIS_URL } from './service-process';

/**
 * A Redis the integration suites run against: the stack's Redis server, or the stack's Redis
 * Cluster (`tools/stack/redis-cluster.sh`, README "Redis Cluster"). `adminUrl` is the admin
 * (`default`) user's, for specs that inspect or clean up; `sideUrl(app)` the app's side's user.
 */
export interface RedisTestTarget {
  name: 'server' | 'cluster';
  adminUrl: string;
  sideUrl(app: string): string;
}

function required(env: NodeJS.ProcessEnv, name: string, hint: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set: ${hint}`);
  return v;
}

/** The stack's Redis Cluster from `.stack/env`, or undefined when it does not run. */
function clusterTarget(env: NodeJS.ProcessEnv = process.env): RedisTestTarget | undefined {
  if (!env.REDIS_CLUSTER_URL) return undefined;
  return {
    name: 'cluster',
    adminUrl: env.REDIS_CLUSTER_URL,
    sideUrl: (app) => {
      const side = SIDE_REDIS_URL[app];
      if (!side) throw new Error(`${app} has no Redis user`);
      return required(env, side.replace(/^REDIS_URL_/, 'REDIS_CLUSTER_URL_'), 'restart the cluster (`bash tools/stack/redis-cluster.sh start`)');
    },
  };
}

/**
 * The Redis targets a parametrised suite runs on: the stack's Redis, and its Redis Cluster when
 * `.stack/env` has it (`PHOENIX_REDIS_CLUSTER=1 npm run stack:start`). `npm test` starts the
 * cluster and sets `PHOENIX_REQUIRE_REDIS_CLUSTER=1`: then a missing cluster is an error, never
 * a variant quietly left out.
 *
 * @example
 * describe.each(redisTestTargets())('quota on the Redis $name', ({ sideUrl }) => { … });
 */
export function redisTestTargets(env: NodeJS.ProcessEnv = process.env): RedisTestTarget[] {
  const server: RedisTestTarget = {
    name: 'server',
    adminUrl: required(env, 'REDIS_URL', 'is the local stack running?'),
    sideUrl: (app) => {
      const side = SIDE_REDIS_URL[app];
      if (!side) throw new Error(`${app} has no Redis user`);
      return required(env, side, 'run `npm run stack:start` to add the Redis users');
    },
  };
  return [server, ...redisClusterTargets(env)];
}

/** The stack's Redis Cluster as a one-element list, empty when it does not run (an error when `PHOENIX_REQUIRE_REDIS_CLUSTER=1`). */
export function redisClusterTargets(env: NodeJS.ProcessEnv = process.env): RedisTestTarget[] {
  const cluster = clusterTarget(env);
  if (!cluster && env.PHOENIX_REQUIRE_REDIS_CLUSTER === '1') {
    throw new Error('PHOENIX_REQUIRE_REDIS_CLUSTER=1 but .stack/env has no REDIS_CLUSTER_URL: start it with `PHOENIX_REDIS_CLUSTER=1 npm run stack:start`');
  }
  return cluster ? [cluster] : [];
}
