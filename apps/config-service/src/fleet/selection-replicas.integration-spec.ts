import { redisTransportOptions } from '@phoenix/common';
import { dropRedisPrefix } from '@phoenix/common/testing';
import { LocalIssuer, RunningApp, TestDb, addNode, createNetworkDb, getChallenge, mintToken, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';

/**
 * Node rows cached for selection, across replicas: a change made through one replica (here a
 * drain) reaches the other's cache at once through `network.nodes.changed`, not after its rows'
 * TTL (30 s) — within it, the other replica would still hand out leases on the drained node.
 */
describe('selection rows across two replicas', () => {
  let db: TestDb;
  let issuer: LocalIssuer;
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    [db, issuer] = await Promise.all([createNetworkDb(), LocalIssuer.start()]);
    const shared = testEnv(db, issuer);
    apps.push(...(await Promise.all([startApp(shared), startApp(shared)])));
    // Each replica on the Redis transport, as deployed (main.ts): that is where the notice travels.
    for (const app of apps) {
      app.app.connectMicroservice(redisTransportOptions(app.config.REDIS_URL), { inheritAppConfig: true });
      await app.app.startAllMicroservices();
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    if (apps[0]) await dropRedisPrefix(apps[0].config.REDIS_KEY_PREFIX);
    await issuer?.close();
    await db?.drop();
  });

  it('stops handing out leases on a node drained through the other replica without waiting for the TTL', async () => {
    const [a, b] = apps as [RunningApp, RunningApp];
    const first = await addNode(a.base, a.config, { location: 'jp-tyo', capacity: 100, tunnelCidrV4: '100.120.0.0/24', tunnelCidrV6: 'fd00:120::/64' });
    const second = await addNode(a.base, a.config, { location: 'jp-tyo', capacity: 100, tunnelCidrV4: '100.121.0.0/24', tunnelCidrV6: 'fd00:121::/64' });
    const challenge = await getChallenge(b.base);
    const redeemOnB = async () => {
      const res = await redeem(b.base, mintToken(issuer.current, challenge), { location: 'jp-tyo', publicKey: wgPublicKey() });
      expect(res.status).toBe(200);
      return ((await res.json()) as { node: { id: string } }).node.id;
    };
    // Replica b reads and caches the location's rows: both nodes are candidates.
    const before = new Set<string>();
    for (let i = 0; i < 12; i++) before.add(await redeemOnB());
    expect(before).toEqual(new Set([first.id, second.id]));

    const drained = await fetch(`${a.base}/nodes/${first.id}/drain`, { method: 'POST', headers: { authorization: `Bearer ${a.config.ADMIN_TOKEN}` } });
    expect(drained.status).toBe(200);
    // The notice is a Redis publish: give it a moment to arrive (far less than the TTL).
    await new Promise((r) => setTimeout(r, 300));
    const after: string[] = [];
    for (let i = 0; i < 12; i++) after.push(await redeemOnB());
    expect(after.every((id) => id === second.id)).toBe(true);
  });
});
