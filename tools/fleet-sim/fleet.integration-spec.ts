import { Client } from 'pg';
import Redis from 'ioredis';
import { Announcements } from './announcements';
import { StackUrls } from './cluster';
import { LocalIssuer } from './issuer';
import { SimulatedFleet } from './simulated-fleet';
import { sumKinds } from './stats';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (the stack's .stack/env)`);
  return v;
};

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!ok()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A small fleet, fast intervals: the simulator speaks the node protocol to real replicas.
describe('fleet-sim against two config-service replicas', () => {
  const stack: StackUrls = {
    PHOENIX_PG_ADMIN_URL: env('PHOENIX_PG_ADMIN_URL'),
    NETWORK_DATABASE_URL: env('NETWORK_DATABASE_URL'),
    REDIS_URL: env('REDIS_URL'),
    REDIS_URL_NETWORK: env('REDIS_URL_NETWORK'),
  };
  let issuer: LocalIssuer;
  let announcements: Announcements;
  let sim: SimulatedFleet;

  beforeAll(async () => {
    issuer = await LocalIssuer.start();
    announcements = new Announcements(env('REDIS_URL_NODE'), 3);
    await announcements.start();
    sim = await SimulatedFleet.start(stack, issuer, announcements, {
      name: 'fleetsimspec',
      nodes: 12,
      replicas: 2,
      pulseIntervalSec: 2,
      reconcileSec: 4,
      capacity: 100,
      locations: 3,
      sockets: 4,
      enrollConcurrency: 4,
    });
  }, 120_000);

  afterAll(async () => {
    await sim?.stop();
    await announcements?.stop();
    await issuer?.close();
  }, 60_000);

  it('registers, pulls the seeded peer sets, pulses on the interval, and follows announcements of redemptions', async () => {
    const { fleet } = sim;
    const registered = await fleet.register(30_000);
    expect(registered.registered).toBe(12);
    expect(new Set(fleet.agents.map((a) => a.nodeId)).size).toBe(12);
    expect(new Set(fleet.agents.map((a) => a.location)).size).toBe(3);

    const seeded = await sim.seed(5);
    expect(seeded).toEqual({ nodes: 12, leases: 60, spent: 60 });
    fleet.start();
    const settled = await sim.settled(5, 20_000);
    expect(settled).toMatchObject({ settled: 12, of: 12 });
    for (const agent of fleet.agents) expect(agent.peers.size).toBe(5);

    // Redeem one token per location; each config's node hears of its peer through Redis.
    const tokens = issuer.mint(3, await sim.cluster.tokenChallenge());
    const results = await Promise.all(sim.locations.map((location, i) => sim.clients.redeem(i, tokens[i] as string, location)));
    for (const r of results) expect(r).toMatchObject({ status: 200 });
    await until('the announcements', () => sim.clients.lag.count === 3, 10_000);
    for (const r of results) {
      const agent = fleet.agentFor(r.nodeId as string);
      expect(agent?.peers.size).toBe(6);
    }

    // A few intervals: every node pulses about once per 2 s on both replicas, nothing fails.
    fleet.meter.take();
    await new Promise((r) => setTimeout(r, 5000));
    const window = fleet.meter.take();
    const pulses = sumKinds(window.kinds, 'pulse@');
    expect(pulses.failed).toBe(0);
    expect(pulses.ok / window.seconds).toBeGreaterThan(4);
    expect(window.kinds.get('pulse@0')?.ok).toBeGreaterThan(0);
    expect(window.kinds.get('pulse@1')?.ok).toBeGreaterThan(0);
    // Periodic reconciles of nodes that hold the current generation: conditional pulls answered 304.
    expect(sumKinds(window.kinds, 'peers-304@').ok).toBeGreaterThan(0);
    expect(sumKinds(window.kinds, 'peers-304@').failed).toBe(0);
    expect(sumKinds(window.kinds, 'peers@').failed).toBe(0);
    expect(announcements.routed).toBeGreaterThanOrEqual(3);
    // Each on its node's channel: Redis delivered our subscribers nothing but their own nodes' announcements.
    expect(announcements.delivered).toBe(announcements.routed);
  }, 90_000);

  it('pauses and resumes the loops, and saturates one replica with connections of its own', async () => {
    const { fleet } = sim;
    fleet.pause();
    expect(await fleet.drained(10_000)).toBe(0);
    fleet.meter.take();
    const s = await fleet.saturate('pulse', 1, 4, 1000, 200);
    expect(s.ok).toBeGreaterThan(0);
    expect(s.failed).toBe(0);
    const notModified = await fleet.saturate('peers-304', 0, 4, 1000, 100);
    expect(notModified.ok).toBeGreaterThan(0);
    expect(notModified.failed).toBe(0);
    // Paused: the loops sent nothing meanwhile.
    expect(sumKinds(fleet.meter.take().kinds, 'pulse@').ok).toBe(0);
    fleet.resume();
    await new Promise((r) => setTimeout(r, 2500));
    expect(sumKinds(fleet.meter.take().kinds, 'pulse@').ok).toBeGreaterThan(0);
  }, 30_000);

  it('leaves no database and no Redis keys behind', async () => {
    const name = sim.cluster.databaseName;
    const prefix = sim.cluster.prefix;
    await sim.stop();
    const admin = new Client({ connectionString: stack.PHOENIX_PG_ADMIN_URL });
    await admin.connect();
    try {
      expect((await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rowCount).toBe(0);
    } finally {
      await admin.end();
    }
    const redis = new Redis(stack.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const left: string[] = [];
      let cursor = '0';
      for (let i = 0; i < 10_000; i++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        left.push(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
      expect(cursor).toBe('0');
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
    for (const r of sim.cluster.replicas) expect(r.service.proc.exitCode !== null || r.service.proc.signalCode !== null).toBe(true);
  }, 60_000);
});
