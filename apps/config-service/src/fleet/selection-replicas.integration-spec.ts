import { redisTransportOptions } from '@phoenix/common';
import { dropRedisPrefix } from '@phoenix/common/testing';
import { LocalIssuer, RunningApp, TestDb, addNode, createNetworkDb, getChallenge, mintToken, redeem, startApp, testEnv, wgPublicKey } from '../../test/support';

/**
 * Node rows cached for selection, across replicas: a change made through one replica (here a
 * drain) reaches the other's cache at once through `network.nodes.changed`; a replica that misses
 * the notice finds the fleet's row version moved within its rows' TTL (1 s). Until one or the
 * other, it would still hand out leases on the drained node.
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

  /** Two nodes in `location`, and a redeemer on `via` that says which node each config is for. */
  async function twoNodes(location: string, subnet: number, via: RunningApp) {
    const [a] = apps as [RunningApp];
    const first = await addNode(a.base, a.config, { location, capacity: 100, tunnelCidrV4: `100.${subnet}.0.0/24`, tunnelCidrV6: `fd00:${subnet}::/64` });
    const second = await addNode(a.base, a.config, { location, capacity: 100, tunnelCidrV4: `100.${subnet + 1}.0.0/24`, tunnelCidrV6: `fd00:${subnet + 1}::/64` });
    const challenge = await getChallenge(via.base);
    const redeemOn = async () => {
      const res = await redeem(via.base, mintToken(issuer.current, challenge), { location, publicKey: wgPublicKey() });
      expect(res.status).toBe(200);
      return ((await res.json()) as { node: { id: string } }).node.id;
    };
    // `via` reads and caches the location's rows: both nodes are candidates.
    const before = new Set<string>();
    for (let i = 0; i < 12; i++) before.add(await redeemOn());
    expect(before).toEqual(new Set([first.id, second.id]));
    const drainFirst = async () => {
      const drained = await fetch(`${a.base}/nodes/${first.id}/drain`, { method: 'POST', headers: { authorization: `Bearer ${a.config.ADMIN_TOKEN}` } });
      expect(drained.status).toBe(200);
    };
    return { first, second, redeemOn, drainFirst };
  }

  it('stops handing out leases on a node drained through the other replica without waiting for the TTL', async () => {
    const { second, redeemOn, drainFirst } = await twoNodes('jp-tyo', 120, apps[1] as RunningApp);
    await drainFirst();
    // The notice is a Redis publish: give it a moment to arrive (less than the TTL).
    await new Promise((r) => setTimeout(r, 300));
    const after: string[] = [];
    for (let i = 0; i < 12; i++) after.push(await redeemOn());
    expect(after.every((id) => id === second.id)).toBe(true);
  });

  it('stops within about the TTL on a replica that hears no notice (the row version moved)', async () => {
    // A third replica on the same database and Redis, not on the transport: it never hears network.nodes.changed.
    const deaf = await startApp(testEnv(db, issuer, { REDIS_KEY_PREFIX: (apps[0] as RunningApp).config.REDIS_KEY_PREFIX }));
    try {
      const { second, redeemOn, drainFirst } = await twoNodes('sg-sin', 122, deaf);
      await drainFirst();
      // Past the TTL: the next request is answered from the rows held and has them checked behind it …
      await new Promise((r) => setTimeout(r, 1_200));
      await redeemOn();
      await new Promise((r) => setTimeout(r, 300));
      // … found changed and read again: no more leases on the drained node.
      const after: string[] = [];
      for (let i = 0; i < 12; i++) after.push(await redeemOn());
      expect(after.every((id) => id === second.id)).toBe(true);
    } finally {
      await deaf.close();
    }
  });
});
