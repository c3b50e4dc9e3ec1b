import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ThrowawayRedis } from './redis-server';
import { SIDE_REDIS_URL, WORKSPACE_ROOT, sideRedisUrl } from './service-process';

/** A suite's own redis-server with the repository's Redis users; URLs of its users. */
export interface RedisWithUsers {
  redis: ThrowawayRedis;
  /** The admin (`default`) user's URL. */
  adminUrl: string;
  /** `app`'s side's user's URL (auth-service → phoenix_identity, …). */
  sideUrl(app: string): string;
  dispose(): Promise<void>;
}

/** Points a stack Redis URL (its user and password kept) at the throwaway server. */
function retarget(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/**
 * A {@link ThrowawayRedis} whose users are those of `infra/redis/users.acl.in` as the working tree
 * has them now (rendered by `infra/redis/render-acl.sh`, the stack's passwords reused): the real
 * walls between the sides, on a server no other suite or running service shares. For suites that
 * must know exactly who listens on a channel (a service that is down, a reply only one process
 * can give) — on the stack's Redis any service of the same side that runs answers too.
 */
export async function redisWithUsers(env: NodeJS.ProcessEnv = process.env): Promise<RedisWithUsers> {
  const admin = env.REDIS_URL;
  if (!admin) throw new Error('REDIS_URL is not set: is the local stack running?');
  const passwords: Record<string, string> = { REDIS_ADMIN_PASSWORD: decodeURIComponent(new URL(admin).password) };
  for (const [app, variable] of Object.entries(SIDE_REDIS_URL)) {
    const u = new URL(sideRedisUrl(app, env));
    const side = decodeURIComponent(u.username).replace(/^phoenix_/, '').toUpperCase();
    passwords[`REDIS_${side}_PASSWORD`] = decodeURIComponent(u.password);
    if (!u.password) throw new Error(`${variable} has no password`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'phx-redis-acl-'));
  const aclfile = path.join(dir, 'users.acl');
  const render = spawnSync('sh', [path.join(WORKSPACE_ROOT, 'infra/redis/render-acl.sh'), aclfile], { encoding: 'utf8', env: { PATH: env.PATH ?? '', ...passwords } });
  if (render.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`render-acl.sh failed: ${render.stderr}`);
  }
  let redis: ThrowawayRedis;
  try {
    redis = await ThrowawayRedis.start({ args: ['--aclfile', aclfile] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    redis,
    adminUrl: retarget(admin, redis.port),
    sideUrl: (app) => retarget(sideRedisUrl(app, env), redis.port),
    dispose: async () => {
      await redis.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
