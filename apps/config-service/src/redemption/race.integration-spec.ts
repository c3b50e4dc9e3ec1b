import { dropRedisPrefix, redisClusterTargets, ServiceProcess, spawnService, waitForHttp } from '@phoenix/common/testing';
import { DataSource } from 'typeorm';
import { LocalIssuer, RunningApp, TestDb, createNetworkDb, mintToken, startApp, testEnv, wgPublicKey } from '../../test/support';

interface Attempt {
  token: string;
  status: number;
  body: { code?: string; interface?: { addresses: string[] }; node?: { id: string } };
}

/** Two config-service replicas on one database and one Redis namespace. */
interface Replicas {
  bases: string[];
  /** The suite's key prefix, and an admin URL of the Redis it lives on (to make Redis forget it). */
  prefix: string;
  adminUrl?: string;
  /** The replicas' processes, when they are processes (their logs are checked). */
  processes?: ServiceProcess[];
  stop(): Promise<void>;
}

// Two config-service replicas share one database and one Redis. 200 concurrent redemptions of 20
// tokens, spread over both: exactly one use of each token wins, every loser is 409, and no tunnel
// address is handed out twice on a node. Then Redis forgets every spend and spent tokens race again
// beside new ones: the database's nullifiers keep one winner per token. Run with two processes on
// the stack's Redis, and with two apps in this process on the stack's Redis Cluster (README "Redis
// Cluster"): spent marks, node metrics and their transactions, each in its slot.
function describeRace(title: string, start: (db: TestDb, issuer: LocalIssuer) => Promise<Replicas>, more?: (processes: () => ServiceProcess[]) => void): void {
  describe(title, () => {
    let db: TestDb;
    let issuer: LocalIssuer;
    let replicas: Replicas | undefined;
    let bases: string[] = [];
    const nodes: Array<{ id: string; nodeToken: string }> = [];
    let challenge = '';
    let firstRound: string[] = [];

    const pulseNodes = async () => {
      for (const [i, node] of nodes.entries()) {
        const p = await fetch(`${bases[i]}/nodes/${node.id}/pulse`, { method: 'POST', headers: { authorization: `Bearer ${node.nodeToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ load: 0, peers: 0, healthy: true }) });
        expect(p.status).toBe(200);
      }
    };

    /** Ten concurrent uses of each token, alternating between the replicas. */
    const race = (tokens: string[]): Promise<Attempt[]> =>
      Promise.all(
        tokens
          .flatMap((token, t) => Array.from({ length: 10 }, (_, k) => ({ token, base: bases[(t + k) % 2]! })))
          .map(async ({ token, base }) => {
            const res = await fetch(`${base}/vpn/config`, {
              method: 'POST',
              headers: { authorization: `PrivateToken token="${token}"`, 'content-type': 'application/json' },
              body: JSON.stringify({ location: 'de-fra', publicKey: wgPublicKey() }),
            });
            return { token, status: res.status, body: (await res.json()) as Attempt['body'] };
          }),
      );

    const leaseCounts = async () => {
      const ds = new DataSource({ type: 'postgres', url: db.url });
      await ds.initialize();
      try {
        const [{ n, v4, v6 }] = await ds.query(`SELECT count(*)::int AS n, count(DISTINCT (node_id, ipv4))::int AS v4, count(DISTINCT (node_id, ipv6))::int AS v6 FROM lease`);
        return { n, v4, v6 };
      } finally {
        await ds.destroy();
      }
    };

    beforeAll(async () => {
      [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
      replicas = await start(db, issuer);
      bases = replicas.bases;
    }, 60_000);

    afterAll(async () => {
      await replicas?.stop();
      if (replicas) await dropRedisPrefix(replicas.prefix, replicas.adminUrl);
      await issuer?.close();
      await db?.drop();
    });

    it('lets exactly one of ten concurrent uses of each token win, and never hands out an address twice', async () => {
      // Two small pools (29 usable IPv4 addresses each) so random candidates collide often.
      for (const [i, base] of bases.entries()) {
        const res = await fetch(`${base}/nodes/register`, {
          method: 'POST',
          headers: { authorization: 'Bearer dev-node-enrollment-token', 'content-type': 'application/json' },
          body: JSON.stringify({ publicKey: wgPublicKey(), endpoint: { host: `198.18.7.${i + 1}`, port: 51820 }, location: 'de-fra', capacity: 27, tunnelCidrV4: '100.120.50.0/27', tunnelCidrV6: 'fd00:50::/123', ephemeral: false, version: '1' }),
        });
        expect(res.status).toBe(201);
        nodes.push((await res.json()) as { id: string; nodeToken: string });
      }
      await pulseNodes();

      challenge = ((await (await fetch(`${bases[0]}/vpn/token-challenge`)).json()) as { challenge: string }).challenge;
      const tokens = Array.from({ length: 20 }, () => mintToken(issuer.current, challenge));
      firstRound = tokens;
      const results = await race(tokens);

      const ok = results.filter((r) => r.status === 200);
      const reused = results.filter((r) => r.status === 409);
      expect({ ok: ok.length, reused: reused.length, other: results.filter((r) => r.status !== 200 && r.status !== 409).map((r) => r.status) }).toEqual({ ok: 20, reused: 180, other: [] });
      expect(new Set(ok.map((r) => r.token)).size).toBe(20);
      expect(reused.every((r) => r.body.code === 'TOKEN_REUSED')).toBe(true);

      const handedOut = ok.flatMap((r) => r.body.interface!.addresses.map((a) => `${r.body.node!.id} ${a}`));
      expect(new Set(handedOut).size).toBe(handedOut.length);

      expect(await leaseCounts()).toEqual({ n: 20, v4: 20, v6: 20 });
    });

    it('still lets exactly one use of each token win when Redis forgot every spend between rounds', async () => {
      expect(firstRound).toHaveLength(20);
      // Redis forgets (this suite's keys only: the stack's Redis is shared). Its hot node metrics go
      // with it, so the nodes pulse again, as they would within an interval.
      await dropRedisPrefix(replicas!.prefix, replicas!.adminUrl);
      await pulseNodes();

      const spentBefore = firstRound.slice(0, 10);
      const fresh = Array.from({ length: 10 }, () => mintToken(issuer.current, challenge));
      const results = await race([...spentBefore, ...fresh]);

      const ok = results.filter((r) => r.status === 200);
      expect({ ok: ok.length, reused: results.filter((r) => r.status === 409 && r.body.code === 'TOKEN_REUSED').length, other: results.filter((r) => r.status !== 200 && r.status !== 409).map((r) => r.status) }).toEqual({ ok: 10, reused: 190, other: [] });
      expect(new Set(ok.map((r) => r.token))).toEqual(new Set(fresh));
      expect(await leaseCounts()).toEqual({ n: 30, v4: 30, v6: 30 });
    });

    more?.(() => replicas?.processes ?? []);
  });
}

describeRace(
  'concurrent redemptions across two replicas',
  async (db, issuer) => {
    const ports = [3920, 3921];
    const shared = testEnv(db, issuer, { LOG_LEVEL: 'info', NODE_ENV: 'test' });
    const processes = ports.map((port) => spawnService('config-service', { PATH: process.env.PATH, HOME: process.env.HOME, ...shared, PORT: String(port), HOST: '127.0.0.1' }));
    const bases = ports.map((p) => `http://127.0.0.1:${p}`);
    const replicas: Replicas = { bases, prefix: shared.REDIS_KEY_PREFIX as string, processes, stop: async () => void (await Promise.all(processes.map((r) => r.stop()))) };
    try {
      await Promise.all(bases.map((b) => waitForHttp(`${b}/health/ready`, 45_000)));
    } catch (e) {
      await replicas.stop();
      throw e;
    }
    return replicas;
  },
  (processes) => {
    it('writes no client address to its logs while redeeming (request logs carry id, method and path only)', async () => {
      const lines = processes()
        .flatMap((r) => r.output().split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const requestLines = lines.filter((l) => l.req !== undefined);
      expect(requestLines.some((l) => (l.req as { path: string }).path === '/vpn/config')).toBe(true);
      for (const l of requestLines) {
        expect(Object.keys(l.req as object).sort()).toEqual(['id', 'method', 'path']);
        const text = JSON.stringify(l);
        expect(text).not.toMatch(/127\.0\.0\.1|::1|::ffff:|\[ip\]|remoteAddress|remotePort|x-forwarded-for|PrivateToken|authorization/i);
      }
      // Nothing anywhere in the output names the loopback client address either.
      for (const r of processes()) expect(r.output()).not.toMatch(/127\.0\.0\.1|remoteAddress/);
    });
  },
);

// On the Redis Cluster the replicas are two apps in this process (quicker to start than two more
// processes; each has its own Redis clients and database pool, as a replica does).
for (const cluster of redisClusterTargets()) {
  describeRace(`concurrent redemptions across two replicas on the Redis ${cluster.name}`, async (db, issuer) => {
    const shared = testEnv(db, issuer, { REDIS_URL: cluster.sideUrl('config-service') });
    const apps: RunningApp[] = [];
    const stop = async () => void (await Promise.all(apps.map((a) => a.close())));
    try {
      apps.push(...(await Promise.all([startApp(shared), startApp(shared)])));
    } catch (e) {
      await stop();
      throw e;
    }
    return { bases: apps.map((a) => a.base), prefix: shared.REDIS_KEY_PREFIX as string, adminUrl: cluster.adminUrl, stop };
  });
}
