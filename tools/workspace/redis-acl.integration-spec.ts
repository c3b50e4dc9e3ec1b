import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PEERS_CHANGED_ANY_NODE, Patterns, newRedisClient, peersChangedChannel } from '@phoenix/common';
import { ThrowawayRedis, redisClusterTargets, sideRedisUrl } from '@phoenix/common/testing';
import Redis, { Cluster } from 'ioredis';

// Privacy invariant 1 inside Redis (ARCHITECTURE.md): each side's Redis user of the local stack
// (tools/stack/start.sh, from infra/redis/users.acl.in) touches only its own keys and channels.
// Every side's service runs with its own user in the other suites; here each wall is tried.
const ROOT = path.resolve(__dirname, '../..');
const APPS = ['auth-service', 'config-service', 'node-daemon', 'analytics-service', 'job-worker'] as const;
type App = (typeof APPS)[number];
const USER_OF: Record<App, string> = {
  'auth-service': 'phoenix_identity',
  'config-service': 'phoenix_network',
  'node-daemon': 'phoenix_node',
  'analytics-service': 'phoenix_analytics',
  'job-worker': 'phoenix_jobs',
};

const NOPERM = /NOPERM/;
/** A channel of `side`'s namespace nobody listens on: publishing to it disturbs no running service. */
const probe = (side: string) => `${side}.acl-probe-${randomUUID()}`;

function connect(url: string): Redis {
  // No reconnecting: a refused AUTH or a dropped connection must fail the test, not retry forever.
  const c = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  c.on('error', () => undefined); // each command reports its own failure
  return c;
}

describe("Redis privacy walls: each side's user of the stack's Redis", () => {
  const run = randomUUID();
  const userId = randomUUID();
  const keys = {
    quota: `identity:t-${run}:quota:${userId}`,
    job: `identity:t-${run}:bull:notifications:trial-ending-${userId}`,
    spent: `network:t-${run}:spent:${'ab'.repeat(32)}`,
    analytics: `analytics:t-${run}:aggregate`,
    jobs: `jobs:t-${run}:lock`,
  };
  let admin: Redis;
  const users = {} as Record<App, Redis>;

  beforeAll(async () => {
    admin = connect(process.env.REDIS_URL ?? '');
    await admin.hset(keys.quota, '493000', '3');
    await admin.hset(keys.job, 'name', 'trial-ending', 'data', JSON.stringify({ userId }));
    await admin.set(keys.spent, 'spend-id');
    await admin.set(keys.analytics, '1');
    await admin.set(keys.jobs, '1');
    for (const app of APPS) users[app] = connect(sideRedisUrl(app));
  });

  afterAll(async () => {
    for (const c of Object.values(users)) c.disconnect();
    await admin?.del(...Object.values(keys)).catch(() => undefined);
    admin?.disconnect();
  });

  it('each side logs in as its own user; a client without credentials gets NOAUTH', async () => {
    for (const app of APPS) {
      expect(decodeURIComponent(new URL(sideRedisUrl(app)).username)).toBe(USER_OF[app]);
      expect(await users[app].info('server')).toMatch(/redis_version:7\./); // logged in (AUTH as that user)
    }
    const url = new URL(process.env.REDIS_URL ?? '');
    const anonymous = connect(`redis://${url.host}`);
    try {
      await expect(anonymous.get(keys.spent)).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });

  it("config-service's user gets NOPERM on identity keys and identity-only channels, and works on its own", async () => {
    const network = users['config-service'];
    await expect(network.hgetall(keys.quota)).rejects.toThrow(NOPERM);
    await expect(network.hgetall(keys.job)).rejects.toThrow(NOPERM);
    await expect(network.del(keys.quota)).rejects.toThrow(NOPERM);
    const sub = connect(sideRedisUrl('config-service'));
    try {
      await expect(sub.subscribe(Patterns.ISSUER_ROTATE)).rejects.toThrow(NOPERM);
    } finally {
      sub.disconnect();
    }
    await expect(network.publish(probe('identity'), '{}')).rejects.toThrow(NOPERM);
    expect(await network.get(keys.spent)).toBe('spend-id');
    expect(await network.publish(probe('network.node'), '{}')).toBe(0);
  });

  it("auth-service's user cannot read spent tokens nor any network key", async () => {
    const identity = users['auth-service'];
    await expect(identity.get(keys.spent)).rejects.toThrow(NOPERM);
    await expect(identity.exists(keys.spent)).rejects.toThrow(NOPERM);
    await expect(identity.publish(probe('network.node'), '{}')).rejects.toThrow(NOPERM);
    expect(await identity.hget(keys.quota, '493000')).toBe('3');
  });

  it("node-daemon's user reads no key at all, publishes nothing, and hears only the announcements to nodes, one node's channel at a time", async () => {
    const node = users['node-daemon'];
    for (const key of [...Object.values(keys), 'network:nodes', 'anything']) await expect(node.get(key)).rejects.toThrow(NOPERM);
    await expect(node.publish(probe('network.node'), '{}')).rejects.toThrow(NOPERM);
    const sub = connect(sideRedisUrl('node-daemon'));
    try {
      await expect(sub.subscribe(Patterns.LEASES_EXPIRE)).rejects.toThrow(NOPERM);
      // Nor the replicas' notices to each other that node rows changed.
      await expect(sub.subscribe(Patterns.NODES_CHANGED)).rejects.toThrow(NOPERM);
      // Its own node's channel (node-daemon subscribes to that one only) ...
      expect(await sub.subscribe(peersChangedChannel(randomUUID()))).toBe(1);
    } finally {
      sub.disconnect();
    }
    // ... and no pattern subscription: it cannot listen to every node's channel at once.
    expect((await admin.call('ACL', 'DRYRUN', 'phoenix_node', 'PSUBSCRIBE', PEERS_CHANGED_ANY_NODE)) as string).toMatch(/no permissions/);
  });

  it.each(['analytics-service', 'job-worker'] as const)("%s's user reads neither side's keys, only its own", async (app) => {
    const c = users[app];
    for (const key of [keys.quota, keys.job, keys.spent]) await expect(c.call('TYPE', key)).rejects.toThrow(NOPERM);
    await expect(c.get(keys.spent)).rejects.toThrow(NOPERM);
    await expect(c.hgetall(keys.quota)).rejects.toThrow(NOPERM);
    expect(await c.get(app === 'job-worker' ? keys.jobs : keys.analytics)).toBe('1');
    await expect(c.get(app === 'job-worker' ? keys.analytics : keys.jobs)).rejects.toThrow(NOPERM);
  });

  it("job-worker's user sends commands to every side; the sides cannot send each other's", async () => {
    const jobs = users['job-worker'];
    for (const side of ['identity', 'network', 'analytics', 'platform']) expect(await jobs.publish(probe(side), '{}')).toBe(0);
    await expect(users['analytics-service'].publish(probe('network'), '{}')).rejects.toThrow(NOPERM);
    await expect(users['auth-service'].publish(probe('network'), '{}')).rejects.toThrow(NOPERM);
    await expect(users['config-service'].publish(probe('analytics'), '{}')).rejects.toThrow(NOPERM);
    await expect(users['config-service'].publish(Patterns.ANALYTICS_RETENTION, '{}')).rejects.toThrow(NOPERM);
  });

  it("config-service's user reports fleet totals and tenant usage to analytics-service, and that is all it can say to it", async () => {
    expect(await users['config-service'].publish(Patterns.ANALYTICS_FLEET_REPORT, '{}')).toBeGreaterThanOrEqual(0);
    expect(await users['config-service'].publish(Patterns.ANALYTICS_TENANT_USAGE, '{}')).toBeGreaterThanOrEqual(0);
    await expect(users['auth-service'].publish(Patterns.ANALYTICS_FLEET_REPORT, '{}')).rejects.toThrow(NOPERM);
    await expect(users['auth-service'].publish(Patterns.ANALYTICS_TENANT_USAGE, '{}')).rejects.toThrow(NOPERM);
    for (const channel of [`${Patterns.ANALYTICS_TENANT_USAGE}.reply`, `${Patterns.ANALYTICS_TENANT_USAGE}x`, 'analytics.tenant.other', Patterns.ANALYTICS_TENANT_USAGE_QUERY]) {
      await expect(users['config-service'].publish(channel, '{}')).rejects.toThrow(NOPERM);
    }
  });

  it("auth-service's user asks analytics-service for a tenant's usage, and that is all it can say to it or hear from it", async () => {
    const identity = users['auth-service'];
    expect(await identity.publish(Patterns.ANALYTICS_TENANT_USAGE_QUERY, '{}')).toBeGreaterThanOrEqual(0);
    for (const channel of [Patterns.ANALYTICS_RETENTION, Patterns.ANALYTICS_FLEET_REPORT, probe('analytics'), `${Patterns.ANALYTICS_TENANT_USAGE_QUERY}-x`, `${Patterns.ANALYTICS_TENANT_USAGE_QUERY}.other`]) {
      await expect(identity.publish(channel, '{}')).rejects.toThrow(NOPERM);
    }
    const sub = connect(sideRedisUrl('auth-service'));
    try {
      expect(await sub.subscribe(`${Patterns.ANALYTICS_TENANT_USAGE_QUERY}.reply`)).toBe(1);
      await expect(sub.subscribe(`${Patterns.ANALYTICS_RETENTION}.reply`)).rejects.toThrow(NOPERM);
      await expect(sub.subscribe(Patterns.ANALYTICS_FLEET_REPORT)).rejects.toThrow(NOPERM);
    } finally {
      sub.disconnect();
    }
    // Nobody else of another side may ask: the network side and node-daemon get NOPERM.
    await expect(users['config-service'].publish(Patterns.ANALYTICS_TENANT_USAGE_QUERY, '{}')).rejects.toThrow(NOPERM);
    expect((await admin.call('ACL', 'DRYRUN', 'phoenix_node', 'PUBLISH', Patterns.ANALYTICS_TENANT_USAGE_QUERY, '{}')) as string).toMatch(/no permissions/);
  });

  // Key patterns bind only commands that name keys: these would show or touch other sides' data anyway.
  it.each(APPS)("%s's user cannot list, stream, flush or script its way into another side's keys", async (app) => {
    const c = users[app];
    await expect(c.scan('0', 'MATCH', 'identity:*')).rejects.toThrow(NOPERM); // key names hold user ids
    await expect(c.randomkey()).rejects.toThrow(NOPERM);
    await expect(c.keys('*')).rejects.toThrow(NOPERM);
    await expect(c.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'identity:')).rejects.toThrow(NOPERM);
    await expect(c.call('FUNCTION', 'LIST')).rejects.toThrow(NOPERM);
    // Destructive ones are asked of ACL DRYRUN (as the admin), so a wrong grant can never run them here.
    // CLUSTER GETKEYSINSLOT/COUNTKEYSINSLOT list and count every side's keys on a Redis Cluster
    // (on this server they only answer that cluster support is off); the rest change the cluster.
    for (const cmd of [
      ['FLUSHALL'],
      ['FLUSHDB'],
      ['SWAPDB', '0', '1'],
      ['MONITOR'],
      ['CONFIG', 'SET', 'save', ''],
      ['SCRIPT', 'FLUSH'],
      ['FUNCTION', 'FLUSH'],
      ['CLUSTER', 'GETKEYSINSLOT', '0', '10'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '0'],
      ['CLUSTER', 'RESET'],
      ['CLUSTER', 'FAILOVER'],
      ['CLUSTER', 'MEET', '127.0.0.1', '1'],
      ['CLUSTER', 'ADDSLOTS', '1'],
      ['CLUSTER', 'SETSLOT', '1', 'STABLE'],
    ]) {
      expect(await admin.call('ACL', 'DRYRUN', USER_OF[app], ...cmd)).toMatch(/no permissions to run/);
    }
    if (app === 'node-daemon') return;
    // A script runs with its caller's rights, for declared and undeclared keys alike.
    await expect(c.eval("return redis.call('HGETALL', KEYS[1])", 1, app === 'auth-service' ? keys.spent : keys.quota)).rejects.toThrow(NOPERM);
    await expect(c.eval("return redis.call('GET', ARGV[1])", 0, app === 'auth-service' ? keys.spent : keys.quota)).rejects.toThrow(/NOPERM|can't access/);
  });
});

// ---------------------------------------------------------------------------------------------
// The stack's Redis Cluster (README "Redis Cluster"): every node loads the same aclfile, so the
// walls stand on every node; each side's ioredis Cluster client finds the slots (CLUSTER SLOTS,
// CLUSTER INFO) as its own user; nobody but the admin lists another side's keys slot by slot.

describe.each(redisClusterTargets())("Redis privacy walls on the stack's Redis $name", ({ adminUrl, sideUrl }) => {
  const run = randomUUID();
  const keys = { quota: `identity:t-${run}:quota:${randomUUID()}`, spent: `network:t-${run}:spent:${'cd'.repeat(32)}` };
  let admin: Cluster;
  const users = {} as Record<App, Cluster>;

  const ready = async (c: Cluster) => {
    if (c.status !== 'ready') await new Promise((resolve, reject) => (c.once('ready', resolve), c.once('error', reject)));
    return c;
  };
  const cluster = (url: string) => {
    const c = newRedisClient(url, { maxRetriesPerRequest: 0, enableOfflineQueue: true }) as Cluster;
    c.on('error', () => undefined);
    return c;
  };

  beforeAll(async () => {
    admin = await ready(cluster(adminUrl));
    await admin.hset(keys.quota, '493000', '3');
    await admin.set(keys.spent, 'spend-id');
    for (const app of APPS) users[app] = cluster(sideUrl(app));
  });

  afterAll(async () => {
    for (const c of Object.values(users)) c.disconnect();
    await Promise.all(Object.values(keys).map((k) => admin?.del(k).catch(() => undefined)));
    admin?.disconnect();
  });

  it('has the same users on every node as the stack’s Redis', async () => {
    const stack = connect(process.env.REDIS_URL ?? '');
    try {
      const expected = await aclRules(stack);
      const masters = admin.nodes('master');
      expect(masters.length).toBeGreaterThanOrEqual(3);
      for (const node of masters) expect(await aclRules(node)).toEqual(expected);
    } finally {
      stack.disconnect();
    }
  });

  it('lets each side find the slots as its own user, and keeps the walls between the sides', async () => {
    for (const app of APPS) await ready(users[app]); // CLUSTER SLOTS and CLUSTER INFO, as that user
    expect(await users['auth-service'].hget(keys.quota, '493000')).toBe('3');
    expect(await users['config-service'].get(keys.spent)).toBe('spend-id');
    await expect(users['config-service'].hgetall(keys.quota)).rejects.toThrow(NOPERM);
    await expect(users['auth-service'].get(keys.spent)).rejects.toThrow(NOPERM);
    await expect(users['node-daemon'].get(keys.spent)).rejects.toThrow(NOPERM);
    await expect(users['job-worker'].get(keys.quota)).rejects.toThrow(NOPERM);
    const sub = await ready(cluster(sideUrl('node-daemon')));
    try {
      expect(await sub.subscribe(peersChangedChannel(randomUUID()))).toBe(1);
    } finally {
      sub.disconnect();
    }
  });

  it.each(APPS)("%s's user cannot list or count another side's keys slot by slot, nor change the cluster", async (app) => {
    const c = await ready(users[app]);
    const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', keys.quota));
    for (const node of c.nodes('master')) {
      await expect(node.call('CLUSTER', 'GETKEYSINSLOT', slot, 10)).rejects.toThrow(NOPERM);
      await expect(node.call('CLUSTER', 'COUNTKEYSINSLOT', slot)).rejects.toThrow(NOPERM);
    }
    // The admin sees the key there: the slot does hold one.
    const holders = await Promise.all(admin.nodes('master').map(async (n) => (await n.call('CLUSTER', 'GETKEYSINSLOT', slot, 10)) as string[]));
    expect(holders.flat()).toContain(keys.quota);
    for (const cmd of [['CLUSTER', 'RESET'], ['CLUSTER', 'FAILOVER'], ['CLUSTER', 'FORGET', 'x'], ['CLUSTER', 'ADDSLOTS', '1']]) {
      expect(await admin.nodes('master')[0]!.call('ACL', 'DRYRUN', USER_OF[app], ...cmd)).toMatch(/no permissions to run/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml's Redis (infra/redis/render-acl.sh in the redis container) must grant what
// the stack grants: render it with compose's own environment, run it on a throwaway redis-server,
// and compare the users rule by rule with the stack's live Redis.

function composeConfig(): { services: Record<string, { environment?: Record<string, string> }> } {
  const run = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config'], { encoding: 'utf8', cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
  if (run.error) throw new Error(`docker-compose is not installed (apt-get install docker-compose): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`docker-compose config failed: ${run.stderr}`);
  // docker-compose (v1) prints YAML only; it runs on python3-yaml, so that is there to read it.
  const json = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: run.stdout, encoding: 'utf8' });
  if (json.status !== 0) throw new Error(`could not read docker-compose's YAML: ${json.stderr}`);
  return JSON.parse(json.stdout) as ReturnType<typeof composeConfig>;
}

/** `ACL LIST` without password hashes, each user's rules as a sorted set (their order is not stable). */
async function aclRules(redis: Redis): Promise<Record<string, string[]>> {
  const lines = (await redis.call('ACL', 'LIST')) as string[];
  return Object.fromEntries(
    lines.map((line) => {
      const [, name, ...rules] = line.split(' ');
      return [name, rules.filter((r) => !/^#[0-9a-f]{64}$/.test(r)).sort()];
    }),
  );
}

describe("docker-compose's Redis users", () => {
  let dir: string;
  let server: ThrowawayRedis | undefined;
  let compose: ReturnType<typeof composeConfig>;

  beforeAll(async () => {
    compose = composeConfig();
    dir = mkdtempSync(path.join(tmpdir(), 'phx-redis-acl-'));
    const aclfile = path.join(dir, 'users.acl');
    const render = spawnSync('sh', [path.join(ROOT, 'infra/redis/render-acl.sh'), aclfile], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...compose.services.redis?.environment },
    });
    if (render.status !== 0) throw new Error(`render-acl.sh failed: ${render.stderr}`);
    server = await ThrowawayRedis.start({ args: ['--aclfile', aclfile] });
  });

  afterAll(async () => {
    await server?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A compose URL (`redis://user:pw@redis:6379`) pointed at the throwaway server. */
  const local = (url: string) => {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(server?.port);
    return u.toString();
  };

  it('grants exactly the rules of the stack’s users (keys, channels, commands), from an aclfile the stack keeps across restarts', async () => {
    const stack = connect(process.env.REDIS_URL ?? '');
    const composed = connect(local(`redis://default:${compose.services.redis?.environment?.REDIS_ADMIN_PASSWORD}@redis:6379`));
    try {
      const [stackRules, composeRules] = await Promise.all([aclRules(stack), aclRules(composed)]);
      expect(Object.keys(stackRules).sort()).toEqual(['default', ...Object.values(USER_OF)].sort());
      expect(composeRules).toEqual(stackRules);
      expect(stackRules.phoenix_network).toEqual(expect.arrayContaining(['~network:*', '&network.*', '&platform.*', '-scan']));
      expect(stackRules.phoenix_identity).toEqual(expect.arrayContaining(['&identity.*', '&analytics.tenant-usage.query', '&analytics.tenant-usage.query.reply']));
      expect(stackRules.phoenix_identity.filter((r) => r.startsWith('&analytics'))).toHaveLength(2);
      expect(stackRules.phoenix_node).toEqual(expect.arrayContaining(['-@all', '+subscribe', '&network.node.*', '+cluster|slots', '+cluster|info']));
      expect(stackRules.phoenix_node.some((r) => r.startsWith('~'))).toBe(false);
      // The users live in an aclfile, so a restarted Redis has them again.
      expect(((await stack.call('CONFIG', 'GET', 'aclfile')) as string[])[1]).toMatch(/users\.acl$/);
    } finally {
      stack.disconnect();
      composed.disconnect();
    }
  });

  it("gives each compose service its own side's user, with the password the redis container renders", async () => {
    const expected: Record<string, string> = Object.fromEntries(APPS.map((app) => [app, USER_OF[app]]));
    for (const [service, user] of Object.entries(expected)) {
      const url = compose.services[service]?.environment?.REDIS_URL;
      expect(url).toBeDefined();
      expect(decodeURIComponent(new URL(url!).username)).toBe(user);
      const c = connect(local(url!));
      try {
        expect(await c.info('server')).toMatch(/redis_version/); // AUTH as that user succeeded
      } finally {
        c.disconnect();
      }
    }
  });
});
