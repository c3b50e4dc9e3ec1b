import { seededRandom } from '../test/seeded-random';
import { WireGuardError, WireGuardErrorCode } from './errors';
import { effectiveLoad, isNodeEligible, NodeCandidate, rampFactor, selectNode, selectNodeSampled } from './node-selection';

const NOW = 1_750_000_000_000;

function node(id: string, overrides: Partial<NodeCandidate> = {}): NodeCandidate {
  return {
    id,
    location: 'fra',
    healthy: true,
    draining: false,
    capacity: 1000,
    activeLeases: 300,
    load: 30,
    lastPulseAt: NOW - 5_000,
    pulseIntervalSec: 15,
    assignedSinceLastPulse: 0,
    ...overrides,
  };
}

/** Runs `rounds` selections, counting an assignment on the chosen node as config-service does. */
function simulate(nodes: NodeCandidate[], rounds: number, seed: number, countAssignments = true, now = NOW): Map<string, number> {
  const random = seededRandom(seed);
  const live = nodes.map((n) => ({ ...n }));
  const picks = new Map<string, number>(live.map((n) => [n.id, 0]));
  for (let i = 0; i < rounds; i++) {
    const chosen = selectNode(live, { now, location: 'auto', random });
    if (chosen === null) throw new Error('no node chosen');
    picks.set(chosen.id, (picks.get(chosen.id) ?? 0) + 1);
    if (countAssignments) (chosen as { assignedSinceLastPulse: number }).assignedSinceLastPulse++;
  }
  return picks;
}

describe('selectNode', () => {
  it('spreads 10,000 selections over 5 equal nodes within ±15% of even', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((id) => node(id, { capacity: 100_000, activeLeases: 0, load: 0 }));
    for (const countAssignments of [false, true]) {
      const picks = simulate(nodes, 10_000, 11, countAssignments);
      for (const count of picks.values()) {
        expect(count).toBeGreaterThan(2000 * 0.85);
        expect(count).toBeLessThan(2000 * 1.15);
      }
    }
  });

  it('does not herd onto a node whose stale pulse shows low load once assignments since the pulse count', () => {
    // All five nodes are identical, but "e" pulsed just before a burst and still reports 10% load
    // while the others report 30%. Each assignment adds 1/capacity = 0.1 points, so "e" should
    // take about 200 extra leases to catch up and then only its fair share: with 2000 selections
    // the equilibrium is e ≈ 560, others ≈ 360 each.
    const nodes = [node('a'), node('b'), node('c'), node('d'), node('e', { load: 10, activeLeases: 100 })];
    const counted = simulate(nodes, 2000, 12, true);
    const e = counted.get('e') as number;
    expect(e).toBeGreaterThan(480);
    expect(e).toBeLessThan(640);

    // Without counting, "e" wins every pair it is drawn into (40% of draws) for the whole interval.
    const naive = simulate(nodes, 2000, 12, false);
    expect(naive.get('e') as number).toBeGreaterThan(760);

    // And the loads the counted run ends with are level.
    const random = seededRandom(13);
    const live = nodes.map((n) => ({ ...n }));
    for (let i = 0; i < 2000; i++) {
      const chosen = selectNode(live, { now: NOW, location: 'auto', random }) as { assignedSinceLastPulse: number };
      chosen.assignedSinceLastPulse++;
    }
    const loads = live.map((n) => effectiveLoad(n, NOW));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThan(0.01);
  });

  it('never chooses unhealthy, draining, full, stale or other-location nodes', () => {
    const good = [node('good-1'), node('good-2', { load: 80 })];
    const bad = [
      node('unhealthy', { healthy: false, load: 0, activeLeases: 0 }),
      node('draining', { draining: true, load: 0, activeLeases: 0 }),
      node('full', { activeLeases: 1000, load: 0 }),
      node('full-after-assignments', { activeLeases: 990, assignedSinceLastPulse: 10, load: 0 }),
      node('stale-pulse', { lastPulseAt: NOW - 45_001, load: 0, activeLeases: 0 }),
      node('other-location', { location: 'ams', load: 0, activeLeases: 0 }),
      node('zero-capacity', { capacity: 0, activeLeases: 0, load: 0 }),
      node('nan-load', { load: Number.NaN, activeLeases: 0 }),
    ];
    const random = seededRandom(14);
    for (let i = 0; i < 2000; i++) {
      const chosen = selectNode([...bad, ...good], { now: NOW, location: 'fra', random });
      expect(['good-1', 'good-2']).toContain(chosen?.id);
    }
    expect(selectNode(bad, { now: NOW, location: 'fra', random })).toBeNull();
    expect(selectNode([], { now: NOW, location: 'auto', random })).toBeNull();
  });

  it('keeps a node whose pulse is within three intervals', () => {
    expect(isNodeEligible(node('x', { lastPulseAt: NOW - 45_000 }), { now: NOW, location: 'fra' })).toBe(true);
    expect(isNodeEligible(node('x', { lastPulseAt: NOW - 45_001 }), { now: NOW, location: 'fra' })).toBe(false);
    expect(isNodeEligible(node('x', { lastPulseAt: NOW - 60_000 }), { now: NOW, location: 'fra', maxMissedPulses: 4 })).toBe(true);
  });

  it('filters by location unless "auto"', () => {
    const nodes = [node('fra-1'), node('ams-1', { location: 'ams' })];
    const random = seededRandom(15);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      expect(selectNode(nodes, { now: NOW, location: 'ams', random })?.id).toBe('ams-1');
      seen.add((selectNode(nodes, { now: NOW, location: 'auto', random }) as NodeCandidate).id);
    }
    expect(seen).toEqual(new Set(['fra-1', 'ams-1']));
    expect(selectNode(nodes, { now: NOW, location: 'nyc', random })).toBeNull();
  });

  it('returns the only eligible node without drawing randomness, as the same object', () => {
    const only = node('only');
    const random = jest.fn(seededRandom(16));
    expect(selectNode([only, node('down', { healthy: false })], { now: NOW, location: 'auto', random })).toBe(only);
    expect(random).not.toHaveBeenCalled();
  });

  it('prefers the less loaded of the two candidates', () => {
    const picks = simulate([node('light', { load: 10, activeLeases: 100 }), node('heavy', { load: 90, activeLeases: 900 })], 100, 17, false);
    expect(picks.get('light')).toBe(100);
  });

  it('gives a just-recovered node a small share that grows over the ramp window', () => {
    const rampWindowMs = 10 * 60_000;
    const share = (sinceRecoveryMs: number): number => {
      const recovering = node('recovered', { load: 0, activeLeases: 0, recoveredAt: NOW - sinceRecoveryMs });
      const nodes = [node('a'), node('b'), node('c'), node('d'), recovering];
      const random = seededRandom(18);
      let hits = 0;
      // No assignment counting: measure the instantaneous preference at each point of the ramp.
      for (let i = 0; i < 10_000; i++) if (selectNode(nodes, { now: NOW, location: 'auto', random, rampWindowMs })?.id === 'recovered') hits++;
      return hits / 10_000;
    };
    const shares = [0, 0.25, 0.5, 0.75, 1].map((f) => share(f * rampWindowMs));
    expect(shares[0]).toBeLessThan(0.05);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeGreaterThan(shares[i - 1] as number);
    expect(shares[4]).toBeGreaterThan(0.35); // fully ramped and idle: wins every pair it is in
  });

  it('fills a recovering node proportionally to its ramp', () => {
    const recovering = node('recovered', { load: 0, activeLeases: 0, recoveredAt: NOW - 60_000 }); // 10% into the ramp
    const picks = simulate([node('a'), node('b'), node('c'), node('d'), recovering], 2000, 19, true);
    // Scored against 10% of its capacity, it levels with the others' 30% at ~30 leases.
    expect(picks.get('recovered') as number).toBeLessThan(120);
    expect(picks.get('recovered') as number).toBeGreaterThan(20);
  });

  it('validates its options', () => {
    const random = seededRandom(20);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as WireGuardError).code;
      }
      return undefined;
    };
    expect(code(() => selectNode([node('a')], { now: Number.NaN, location: 'auto', random }))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(code(() => selectNode([node('a')], { now: NOW, location: '', random }))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(code(() => selectNode([node('a')], { now: NOW, location: 'auto', random, minRampWeight: 0 }))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
  });
});

describe('rampFactor and effectiveLoad', () => {
  it('ramps linearly from the floor to 1 over the window', () => {
    const opts = { rampWindowMs: 600_000, minRampWeight: 0.05 };
    expect(rampFactor(node('x'), NOW, opts)).toBe(1);
    expect(rampFactor(node('x', { recoveredAt: NOW }), NOW, opts)).toBe(0.05);
    expect(rampFactor(node('x', { recoveredAt: NOW + 1000 }), NOW, opts)).toBe(0.05);
    expect(rampFactor(node('x', { recoveredAt: NOW - 300_000 }), NOW, opts)).toBeCloseTo(0.5);
    expect(rampFactor(node('x', { recoveredAt: NOW - 900_000 }), NOW, opts)).toBe(1);
  });

  it('counts assignments since the pulse as leases and as load', () => {
    expect(effectiveLoad(node('x', { load: 30, activeLeases: 100 }), NOW)).toBeCloseTo(0.3);
    expect(effectiveLoad(node('x', { load: 30, activeLeases: 100, assignedSinceLastPulse: 50 }), NOW)).toBeCloseTo(0.35);
    expect(effectiveLoad(node('x', { load: 10, activeLeases: 600, assignedSinceLastPulse: 100 }), NOW)).toBeCloseTo(0.7);
  });
});

describe('selectNodeSampled', () => {
  /** The hot-state reader of a test: the nodes as given, and the batches asked for. */
  function reader(nodes: NodeCandidate[]) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const batches: string[][] = [];
    const hot = async (drawn: readonly NodeCandidate[]) => {
      batches.push(drawn.map((r) => r.id));
      return drawn.map((r) => byId.get(r.id) as NodeCandidate);
    };
    return { hot, batches };
  }
  const opts = (seed: number, location = 'auto') => ({ now: NOW, location, random: seededRandom(seed) });

  it('reads the hot state of two nodes only when both drawn are eligible, among 1,000', async () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`n${i}`, { load: i % 90 }));
    const { hot, batches } = reader(nodes);
    const chosen = await selectNodeSampled(nodes, hot, opts(1));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(2);
    const [a, b] = batches[0]!.map((id) => nodes.find((n) => n.id === id)!);
    // The drawn node with the lower effective load wins.
    expect(chosen?.id).toBe(effectiveLoad(b!, NOW) < effectiveLoad(a!, NOW) ? b!.id : a!.id);
  });

  it('draws further in growing batches (2, 4, 8, …) past ineligible nodes, and never draws a node twice', async () => {
    // 63 full nodes (hot state says so) and one with room: only reading finds which.
    const nodes = Array.from({ length: 64 }, (_, i) => node(`n${i}`, i === 37 ? {} : { activeLeases: 1000 }));
    const { hot, batches } = reader(nodes);
    const chosen = await selectNodeSampled(nodes, hot, opts(7));
    expect(chosen?.id).toBe('n37');
    // One eligible node only: every row is drawn before it can know no second one exists.
    expect(batches.map((b) => b.length)).toEqual([2, 4, 8, 16, 32, 2]);
    const all = batches.flat();
    expect(new Set(all).size).toBe(64);
  });

  it('reads nothing of rows that cannot be eligible (unhealthy, draining, another location, no capacity), and answers null when none is', async () => {
    const nodes = [
      node('sick', { healthy: false }),
      node('drain', { draining: true }),
      node('elsewhere', { location: 'ams' }),
      node('empty', { capacity: 0 }),
      node('stale', { lastPulseAt: NOW - 3_600_000 }),
    ];
    const { hot, batches } = reader(nodes);
    expect(await selectNodeSampled(nodes, hot, opts(3, 'fra'))).toBeNull();
    expect(batches.flat()).toEqual(['stale']);
  });

  it('spreads like selectNode: 10,000 selections over 5 equal nodes within ±15% of even, counting assignments', async () => {
    const live = ['a', 'b', 'c', 'd', 'e'].map((id) => node(id, { capacity: 100_000, activeLeases: 0, load: 0 }));
    const { hot } = reader(live);
    const random = seededRandom(11);
    const picks = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const chosen = await selectNodeSampled(live, hot, { now: NOW, location: 'auto', random });
      picks.set(chosen!.id, (picks.get(chosen!.id) ?? 0) + 1);
      (chosen as { assignedSinceLastPulse: number }).assignedSinceLastPulse++;
    }
    for (const n of picks.values()) expect(Math.abs(n - 2000)).toBeLessThan(300);
  });

  it('with exactly two eligible nodes keeps the less loaded every time', async () => {
    const nodes = [node('idle', { load: 0, activeLeases: 0 }), node('busy', { load: 80, activeLeases: 800 })];
    const { hot } = reader(nodes);
    const random = seededRandom(5);
    let idle = 0;
    for (let i = 0; i < 2000; i++) if ((await selectNodeSampled(nodes, hot, { now: NOW, location: 'fra', random }))?.id === 'idle') idle++;
    expect(idle).toBe(2000);
  });
});
