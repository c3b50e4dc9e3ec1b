import { randomBytes } from 'node:crypto';
import { PEERS_CHANGED_ANY_NODE, PeersChangedEvent, redisTransportOptions } from '@phoenix/common';
import { dropRedisPrefix, freeLoopbackPort, ServiceProcess, sideRedisUrl, spawnService, waitForHttp } from '@phoenix/common/testing';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { LocalIssuer, RunningApp, TestDb, addNode, createNetworkDb, env, getChallenge, mintToken, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';

// The whole path of a scheduled command: job-worker's scheduler (a real process, as the jobs Redis
// user) sends `network.leases.expire` over the Redis transport, and config-service — the owner, with
// the network database — deletes the expired lease and tells its node.
const EVERY_SECOND = '* * * * * *';
const ONLY_LEASES_EXPIRE = {
  SCHEDULE_LEASES_EXPIRE: EVERY_SECOND,
  SCHEDULE_NODES_REAP: 'off',
  SCHEDULE_FLEET_REPORT: 'off',
  SCHEDULE_ISSUER_KEYS_ROTATE: 'off',
  SCHEDULE_BILLING_RECONCILE: 'off',
  SCHEDULE_TENANT_USAGE_BILLING: 'off',
  SCHEDULE_TRIAL_ENDING: 'off',
  SCHEDULE_ANALYTICS_RETENTION: 'off',
  SCHEDULE_PROBE: 'off',
};

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('network.leases.expire sent by job-worker’s scheduler', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  let svc: RunningApp;
  let ds: DataSource;
  let sub: Redis;
  let jobWorker: ServiceProcess | undefined;
  let queue: Queue | undefined;
  let jobsRedis: Redis | undefined;
  const events: PeersChangedEvent[] = [];
  const jobsPrefix = `jobs:{cfgtest-${randomBytes(4).toString('hex')}}`;

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    svc = await startApp(testEnv(db, issuer));
    svc.app.connectMicroservice(redisTransportOptions(svc.config.REDIS_URL), { inheritAppConfig: true });
    await svc.app.startAllMicroservices();
    ds = new DataSource({ type: 'postgres', url: db.url });
    await ds.initialize();
    sub = new Redis(env('REDIS_URL')); // the admin hears every node's channel (a node-daemon only its own)
    await sub.psubscribe(PEERS_CHANGED_ANY_NODE);
    sub.on('pmessage', (_p: string, _c: string, m: string) => events.push((JSON.parse(m) as { data: PeersChangedEvent }).data));
  });

  afterAll(async () => {
    await jobWorker?.stop();
    await queue?.close();
    jobsRedis?.disconnect();
    sub?.disconnect();
    await ds?.destroy();
    await svc?.close();
    await issuer?.close();
    await db?.drop();
    await dropRedisPrefix(svc.config.REDIS_KEY_PREFIX);
    await dropRedisPrefix(jobsPrefix);
  });

  it('deletes the expired lease, keeps the live one, announces the removal, and the run completes with the reply', async () => {
    const node = await addNode(svc.base, svc.config, { location: 'jp-tyo', tunnelCidrV4: '100.90.0.0/24', tunnelCidrV6: 'fd00:90::/64', capacity: 100 });
    const keep = wgPublicKey();
    const expire = wgPublicKey();
    const challenge = await getChallenge(svc.base);
    for (const publicKey of [keep, expire]) expect((await redeem(svc.base, mintToken(issuer.current, challenge), { location: 'jp-tyo', publicKey })).status).toBe(200);
    await ds.query(`UPDATE lease SET expires_at = now() - interval '1 minute' WHERE public_key = $1`, [expire]);

    const port = await freeLoopbackPort();
    jobWorker = spawnService('job-worker', { ...process.env, ...ONLY_LEASES_EXPIRE, REDIS_URL: sideRedisUrl('job-worker'), JOBS_PREFIX: jobsPrefix, PORT: String(port), LOG_LEVEL: 'info' });
    const running = jobWorker;
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${running.output().slice(-3000)}`);
    });

    await until('the expired lease to be deleted', async () => (await ds.query(`SELECT 1 FROM lease WHERE public_key = $1`, [expire])).length === 0);
    const rows: Array<{ public_key: string }> = await ds.query(`SELECT public_key FROM lease WHERE node_id = $1`, [node.id]);
    expect(rows.map((r) => r.public_key)).toEqual([keep]);
    await until('the node to be told', () => events.some((e) => e.nodeId === node.id && e.removed.includes(expire)));

    // The run is a completed job of job-worker's queue whose return value is config-service's reply.
    jobsRedis = new Redis(sideRedisUrl('job-worker'), { maxRetriesPerRequest: null });
    queue = new Queue('schedules', { connection: jobsRedis, prefix: jobsPrefix });
    const q = queue;
    await until('a completed run', async () => (await q.getJobs(['completed'], 0, -1)).length > 0);
    const [job] = await q.getJobs(['completed'], 0, -1);
    expect(job!.name).toBe('network.leases.expire');
    expect(job!.returnvalue).toEqual({
      schedule: 'network.leases.expire',
      period: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      reply: expect.objectContaining({ ran: expect.any(Boolean), count: expect.any(Number) }),
    });
    expect(running.output()).toContain('"msg":"scheduled run done","schedule":"network.leases.expire"');
  }, 120_000);
});
