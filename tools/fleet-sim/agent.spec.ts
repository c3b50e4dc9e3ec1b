import { AgentHost, AgentSettings, FULL_PULL_EVERY, NodeApi, PeersChanged, SimAgent } from './agent';
import type { JsonReply } from './http';

const settings: AgentSettings = { capacity: 1000, tunnelCidrV4: '100.64.0.0/16', reconcileMs: 30_000, backoffBaseMs: 1000, backoffMaxMs: 60_000, version: 'fleet-sim' };
const reply = (status: number, body: unknown = null): JsonReply => ({ status, body, ms: 1, queuedMs: 0 });
const peer = (publicKey: string) => ({ publicKey, allowedIps: ['100.64.0.9/32'], expiresAt: '2030-01-01T00:00:00.000Z' });

/** A control plane that answers from queues (one reply per call, in order) and records the calls. */
function harness(answers: { register?: JsonReply[]; pulse?: JsonReply[]; peers?: JsonReply[] }) {
  const calls: string[] = [];
  const scheduled: Array<{ loop: string; at: number }> = [];
  const announced: string[] = [];
  const triggers: string[] = [];
  /** The generation each pull named in If-None-Match (undefined: a whole-set pull). */
  const held: Array<number | undefined> = [];
  const recorded: string[] = [];
  let now = 1_000_000;
  const next = (q: JsonReply[] | undefined, what: string) => {
    const r = q?.shift();
    if (!r) throw new Error(`unexpected ${what}`);
    return Promise.resolve(r);
  };
  const api: NodeApi = {
    register: (_r, body) => {
      calls.push(`register ${body.location}`);
      return next(answers.register, 'register');
    },
    pulse: (_r, id, token, body) => {
      calls.push(`pulse ${id} ${token} load=${body.load} peers=${body.peers}`);
      return next(answers.pulse, 'pulse');
    },
    peers: (_r, id, token, generation) => {
      calls.push(`peers ${id} ${token}`);
      held.push(generation);
      return next(answers.peers, 'peers');
    },
  };
  const host: AgentHost = {
    api,
    nowMs: () => now,
    random: () => 0.5,
    schedule: (_a, loop, at) => scheduled.push({ loop, at }),
    record: (kind, _r, r) => recorded.push(`${kind} ${r.status}`),
    peerAnnounced: (key) => announced.push(key),
    reconcileTriggered: (why) => triggers.push(why),
  };
  const agent = new SimAgent(7, 'node-key', 'de-fra', 0, settings, host);
  return { agent, calls, scheduled, announced, triggers, held, recorded, advance: (ms: number) => (now += ms), now: () => now };
}

const registered = reply(201, { id: 'n1', nodeToken: 'secret-token', pulseIntervalSec: 30 });

/** What a daemon does when it starts: register and reconcile (the control loop), then pulse. */
async function boot(agent: SimAgent): Promise<void> {
  await agent.controlStep();
  await agent.pulseStep();
}

describe('SimAgent (node-daemon control plane, simulated)', () => {
  it('starts as a daemon does: register, pull the peer set, pulse with figures from it', async () => {
    const h = harness({ register: [registered], peers: [reply(200, { generation: 3, peers: [peer('a'), peer('b')] })], pulse: [reply(200, { generation: 3 })] });
    expect(await h.agent.controlStep()).toBe(30_000);
    expect(await h.agent.pulseStep()).toBe(30_000);
    expect(h.calls).toEqual(['register de-fra', 'peers n1 secret-token', 'pulse n1 secret-token load=4 peers=2']);
    expect(h.agent.generation).toBe(3);
    expect([...h.agent.peers]).toEqual(['a', 'b']);
    expect(h.agent.pulseIntervalMs).toBe(30_000);
    // Same generation answered: no reconcile asked for.
    expect(h.scheduled).toEqual([]);
  });

  it('reconciles at once when a pulse answers another generation', async () => {
    const h = harness({ register: [registered], peers: [reply(200, { generation: 1, peers: [] })], pulse: [reply(200, { generation: 1 }), reply(200, { generation: 2 })] });
    await boot(h.agent);
    expect(await h.agent.pulseStep()).toBe(30_000);
    expect(h.scheduled).toEqual([{ loop: 'control', at: h.now() }]);
    expect(h.triggers).toEqual(['generation']);
  });

  it('applies the next generation announced, asks for a reconcile on a gap, ignores older and foreign ones', async () => {
    const h = harness({ register: [registered], peers: [reply(200, { generation: 5, peers: [peer('a')] })], pulse: [reply(200, { generation: 5 })] });
    await boot(h.agent);
    const event = (e: Partial<PeersChanged>): PeersChanged => ({ nodeId: 'n1', generation: 6, added: [], removed: [], ...e });

    h.agent.onAnnouncement(event({ nodeId: 'other', generation: 6, added: [peer('x')] }));
    h.agent.onAnnouncement(event({ generation: 6, added: [peer('b')], removed: ['a'] }));
    expect([...h.agent.peers]).toEqual(['b']);
    expect(h.agent.generation).toBe(6);
    expect(h.announced).toEqual(['b']);

    h.agent.onAnnouncement(event({ generation: 6, added: [peer('late')] }));
    expect([...h.agent.peers]).toEqual(['b']);
    expect(h.scheduled).toEqual([]);

    h.agent.onAnnouncement(event({ generation: 8, added: [peer('c')] }));
    expect([...h.agent.peers]).toEqual(['b']);
    expect(h.scheduled).toEqual([{ loop: 'control', at: h.now() }]);
    expect(h.triggers).toEqual(['gap']);
  });

  it('keeps a set an announcement overtook unless config-service answers the older one twice', async () => {
    const h = harness({
      register: [registered],
      peers: [reply(200, { generation: 1, peers: [] }), reply(200, { generation: 1, peers: [] }), reply(200, { generation: 1, peers: [] })],
      pulse: [reply(200, { generation: 1 })],
    });
    await boot(h.agent);
    h.agent.onAnnouncement({ nodeId: 'n1', generation: 2, added: [peer('new')], removed: [] });
    await h.agent.controlStep();
    expect(h.agent.generation).toBe(2);
    expect([...h.agent.peers]).toEqual(['new']);
    await h.agent.controlStep();
    expect(h.agent.generation).toBe(1);
    expect(h.agent.peers.size).toBe(0);
  });

  it('counts a refused registration as a failure and retries with backoff', async () => {
    const h = harness({ register: [reply(503, { code: 'UNAVAILABLE' }), registered], peers: [reply(200, { generation: 0, peers: [] })] });
    const wait = await h.agent.controlStep();
    expect(wait).toBeGreaterThanOrEqual(500);
    expect(wait).toBeLessThanOrEqual(1000);
    expect(h.agent.registered).toBe(false);
    expect(await h.agent.controlStep()).toBe(30_000);
    expect(h.agent.registered).toBe(true);
    expect(h.calls).toEqual(['register de-fra', 'register de-fra', 'peers n1 secret-token']);
  });

  it('registers again after 401, stops for good after 410, backs off with jitter after 503', async () => {
    const h = harness({
      register: [registered, reply(200, { id: 'n1', nodeToken: 'fresh-token', pulseIntervalSec: 30 })],
      peers: [reply(200, { generation: 0, peers: [] }), reply(200, { generation: 0, peers: [] })],
      pulse: [reply(200, { generation: 0 }), reply(401), reply(503), reply(503), reply(200, { generation: 0 }), reply(410)],
    });
    await boot(h.agent);
    const wait = await h.agent.pulseStep();
    expect(wait).toBeGreaterThanOrEqual(500);
    expect(wait).toBeLessThanOrEqual(1000);
    expect(h.agent.registered).toBe(false);
    expect(h.scheduled.at(-1)).toEqual({ loop: 'control', at: h.now() });
    await h.agent.controlStep();
    expect(h.calls.slice(-2)).toEqual(['register de-fra', 'peers n1 fresh-token']);
    const first = await h.agent.pulseStep();
    const second = await h.agent.pulseStep();
    expect(second).toBeGreaterThan(first);
    expect(await h.agent.pulseStep()).toBe(30_000);
    expect(await h.agent.pulseStep()).toBe(Number.POSITIVE_INFINITY);
    expect(h.agent.decommissioned).toBe(true);
    expect(await h.agent.controlStep()).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps periodic reconciles at its phase of the interval when given one', async () => {
    const h = harness({ register: [registered], peers: [reply(200, { generation: 0, peers: [] }), reply(200, { generation: 0, peers: [] })] });
    await h.agent.run('control');
    expect(h.agent.controlDue).toBe(h.now() + 30_000);
    h.agent.reconcilePhaseMs = h.now() + 10_000;
    await h.agent.run('control');
    // The phase's next slot at least half an interval ahead: phase + one interval.
    expect(h.agent.controlDue).toBe(h.now() + 40_000);
  });

  it('keeps pulses at its phase of the pulse interval when given one', async () => {
    const h = harness({ register: [registered], peers: [reply(200, { generation: 0, peers: [] })], pulse: [reply(200, { generation: 0 }), reply(200, { generation: 0 })] });
    await h.agent.controlStep();
    await h.agent.run('pulse');
    expect(h.agent.pulseDue).toBe(h.now() + 30_000);
    h.agent.pulsePhaseMs = h.now() - 5_000;
    await h.agent.run('pulse');
    expect(h.agent.pulseDue).toBe(h.now() + 25_000);
  });

  it('stops on a decommissioned announcement and drops its peers', async () => {
    const h = harness({ register: [registered], peers: [reply(200, { generation: 1, peers: [peer('a')] })], pulse: [reply(200, { generation: 1 })] });
    await boot(h.agent);
    h.agent.onAnnouncement({ nodeId: 'n1', generation: 2, added: [], removed: ['a'], decommissioned: true });
    expect(h.agent.decommissioned).toBe(true);
    expect(h.agent.peers.size).toBe(0);
    expect(await h.agent.pulseStep()).toBe(Number.POSITIVE_INFINITY);
  });

  it('reports load from its peers against capacity, and growing transfer counters', async () => {
    const peers = Array.from({ length: 400 }, (_, i) => peer(`k${i}`));
    const h = harness({ register: [registered], peers: [reply(200, { generation: 1, peers })], pulse: [reply(200, { generation: 1 })] });
    await boot(h.agent);
    h.advance(30_000);
    const a = h.agent.pulseFigures();
    h.advance(30_000);
    const b = h.agent.pulseFigures();
    expect(a.peers).toBe(400);
    expect(a.load).toBe(40);
    expect(a.cpu).toBeGreaterThan(0);
    expect(a.cpu).toBeLessThanOrEqual(100);
    expect(b.rxBytes).toBeGreaterThan(a.rxBytes);
    expect(b.txBytes).toBeGreaterThan(a.txBytes);
    expect(a.healthy).toBe(true);
  });

  it('pulls conditionally on its periodic reconciles: a 304 keeps the set held; a triggered reconcile pulls the whole set', async () => {
    const set = reply(200, { generation: 3, peers: [peer('a'), peer('b')] });
    const h = harness({ register: [registered], peers: [set, reply(304), reply(200, { generation: 4, peers: [peer('c')] }), reply(200, { generation: 4, peers: [peer('c')] })], pulse: [reply(200, { generation: 3 })] });
    await boot(h.agent);
    expect(await h.agent.controlStep()).toBe(30_000);
    expect(h.held).toEqual([undefined, 3]);
    expect(h.recorded).toEqual(['register 201', 'peers 200', 'pulse 200', 'peers-304 304']);
    expect(h.agent.generation).toBe(3);
    expect([...h.agent.peers]).toEqual(['a', 'b']);
    // A 200 to a conditional pull: the generation moved on, the new set is taken.
    await h.agent.controlStep();
    expect(h.held).toEqual([undefined, 3, 3]);
    expect([...h.agent.peers]).toEqual(['c']);
    // A gap: the reconcile asked for pulls the whole set.
    h.agent.onAnnouncement({ nodeId: 'n1', generation: 9, added: [], removed: [] });
    await h.agent.controlStep();
    expect(h.held).toEqual([undefined, 3, 3, undefined]);
  });

  it('pulls the whole set every FULL_PULL_EVERY-th periodic reconcile', async () => {
    const answers = [reply(200, { generation: 1, peers: [] }), ...Array.from({ length: FULL_PULL_EVERY - 1 }, () => reply(304)), reply(200, { generation: 1, peers: [peer('x')] }), reply(304)];
    const h = harness({ register: [registered], peers: answers });
    for (let i = 0; i < FULL_PULL_EVERY + 2; i++) await h.agent.controlStep();
    expect(h.held).toEqual([undefined, ...Array<number>(FULL_PULL_EVERY - 1).fill(1), undefined, 1]);
    expect([...h.agent.peers]).toEqual(['x']);
  });
});
