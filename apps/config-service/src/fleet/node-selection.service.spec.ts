import { RedisKeys } from '../core/redis-keys';
import { NodeHotMetrics } from './node-metrics.store';
import { Patterns } from '@phoenix/common';
import { NODE_ROWS_MAX_AGE_MS, NODE_ROWS_TTL_MS, NodeSelectionService, loadLevel, toCandidate } from './node-selection.service';
import { NodeRecord } from './nodes.repository';

function record(id: string, o: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id,
    publicKey: 'k',
    endpointHost: '198.18.0.1',
    endpointPort: 51820,
    locationId: 'de-fra',
    capacity: 1000,
    tunnelCidrV4: '100.64.0.0/16',
    tunnelCidrV6: null,
    ephemeral: false,
    version: '1',
    status: 'active',
    draining: false,
    healthy: true,
    pulseIntervalSec: 30,
    registeredAt: new Date(0),
    lastPulseAt: new Date(),
    recoveredAt: null,
    tenantId: null,
    ...o,
  };
}

/** A transport that records what is emitted on it. */
function recordingTransport() {
  const emitted: string[] = [];
  return { emitted, transport: { emit: (pattern: string) => (emitted.push(pattern), { subscribe: () => undefined }) } };
}

/** The fleet's row version as Redis keeps it (GET, INCR), and the keys' names. */
function versionStore() {
  const store = { version: null as string | null, gets: 0, down: false };
  const redis = {
    get: async () => {
      store.gets++;
      if (store.down) throw new Error('Connection is closed.');
      return store.version;
    },
    incr: async () => (store.version = String(Number(store.version ?? 0) + 1)),
  };
  return { store, redis, keys: new RedisKeys('network:') };
}

/** The service, with a recording transport and an in-memory row version unless given. */
function selectionService(nodes: unknown, metrics: unknown, nowMs: () => number, random: unknown, extra: { transport?: unknown; version?: ReturnType<typeof versionStore> } = {}) {
  const v = extra.version ?? versionStore();
  return new NodeSelectionService(nodes as never, metrics as never, { nowMs } as never, random as never, (extra.transport ?? recordingTransport().transport) as never, v.redis as never, v.keys);
}

/**
 * The service with in-memory adapters: rows, hot metrics (with the shared assigned-since-pulse
 * counter, as Redis keeps it) and a seeded random source.
 */
function fleet(rows: NodeRecord[], hot: Record<string, Omit<NodeHotMetrics, 'assignedSinceLastPulse'>>, now = 1_000_000_000) {
  const assigned = new Map<string, number>();
  let seed = 42;
  const random = {
    source: (n: number) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        out[i] = seed >>> 16;
      }
      return out;
    },
  };
  let rowReads = 0;
  const nodes = { activeNodes: async (loc: string) => (rowReads++, rows.filter((r) => loc === 'auto' || r.locationId === loc)) };
  const reads: string[][] = [];
  const metrics = {
    read: async (ids: string[]) => (reads.push(ids), new Map(ids.map((id) => [id, hot[id] ? { ...hot[id]!, assignedSinceLastPulse: assigned.get(id) ?? 0 } : null]))),
  };
  const service = selectionService(nodes, metrics, () => now, random);
  return {
    service,
    /** The node ids of each hot-metrics read. */
    reads,
    rowReads: () => rowReads,
    /** Picks and counts an assignment, as a redemption does. */
    async pick(location: string, tenantId: string | null = null): Promise<string | null> {
      const n = await service.select(location, tenantId);
      if (n) assigned.set(n.id, (assigned.get(n.id) ?? 0) + 1);
      return n?.id ?? null;
    },
  };
}

describe('NodeSelectionService', () => {
  const now = 1_000_000_000;
  const fresh = (load: number, peers = 0) => ({ load, peers, at: now - 1000 });

  it('spreads leases across equal nodes, counting assignments since the last pulse', async () => {
    const rows = ['a', 'b', 'c', 'd'].map((id) => record(id));
    const f = fleet(rows, Object.fromEntries(rows.map((r) => [r.id, fresh(10)])), now);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const id = (await f.pick('de-fra'))!;
      counts[id] = (counts[id] ?? 0) + 1;
    }
    // Without the counter every replica would herd onto one node until the next pulse.
    for (const id of ['a', 'b', 'c', 'd']) expect(counts[id]).toBeGreaterThanOrEqual(90);
    for (const id of ['a', 'b', 'c', 'd']) expect(counts[id]).toBeLessThanOrEqual(110);
  });

  it('prefers the less loaded node of two (power of two choices)', async () => {
    const rows = [record('busy'), record('idle')];
    const f = fleet(rows, { busy: fresh(80, 800), idle: fresh(5, 10) }, now);
    const picks: string[] = [];
    for (let i = 0; i < 100; i++) picks.push((await f.pick('de-fra'))!);
    expect(picks.filter((p) => p === 'idle').length).toBe(100);
  });

  it('never picks an unhealthy, draining, silent, full or other-location node', async () => {
    const rows = [
      record('unhealthy', { healthy: false }),
      record('draining', { draining: true }),
      record('silent'),
      record('full', { capacity: 5 }),
      record('elsewhere', { locationId: 'nl-ams' }),
      record('good'),
    ];
    const f = fleet(rows, { unhealthy: fresh(0), draining: fresh(0), silent: { load: 0, peers: 0, at: now - 100 * 30_000 }, full: fresh(0, 5), elsewhere: fresh(0), good: fresh(50, 500) }, now);
    for (let i = 0; i < 50; i++) expect(await f.pick('de-fra')).toBe('good');
    expect(await f.pick('nl-ams')).toBe('elsewhere');
  });

  it('treats a node without hot metrics (no pulse within three intervals) as not selectable', async () => {
    const f = fleet([record('a')], {}, now);
    expect(await f.pick('auto')).toBeNull();
  });

  it('stops at capacity as assignments accumulate between pulses', async () => {
    const f = fleet([record('a', { capacity: 3 })], { a: fresh(0, 1) }, now);
    expect([await f.pick('auto'), await f.pick('auto'), await f.pick('auto')]).toEqual(['a', 'a', null]);
  });

  it('ramps a recovered node in gradually instead of flooding it', async () => {
    const rows = [record('steady'), record('steady2'), record('recovered', { recoveredAt: new Date(now - 30_000) })];
    const f = fleet(rows, { steady: fresh(30, 300), steady2: fresh(30, 300), recovered: fresh(0, 0) }, now);
    let recovered = 0;
    for (let i = 0; i < 300; i++) if ((await f.pick('de-fra')) === 'recovered') recovered++;
    // Empty, it would win every draw it is in (~2/3 of them); ramping keeps it far lower at first.
    expect(recovered).toBeLessThan(60);
  });

  describe('dedicated nodes', () => {
    const T = '0b5f0c7a-1d2e-4f3a-9b8c-7d6e5f4a3b2c';
    const U = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';

    it("gives a tenant's lease its dedicated nodes first, spread by two choices, then shared ones; never another tenant's", async () => {
      const rows = [record('t1', { tenantId: T }), record('t2', { tenantId: T }), record('u1', { tenantId: U }), record('shared')];
      const f = fleet(rows, { t1: fresh(10, 0), t2: fresh(10, 0), u1: fresh(0, 0), shared: fresh(0, 0) }, now);
      const counts: Record<string, number> = {};
      for (let i = 0; i < 100; i++) {
        const id = (await f.pick('de-fra', T))!;
        counts[id] = (counts[id] ?? 0) + 1;
      }
      expect(Object.keys(counts).sort()).toEqual(['t1', 't2']);
      expect(counts.t1).toBeGreaterThanOrEqual(40);
      expect(counts.t2).toBeGreaterThanOrEqual(40);
    });

    it("falls back to shared nodes when the tenant's are full, and never to another tenant's", async () => {
      const rows = [record('t1', { tenantId: T, capacity: 2 }), record('u1', { tenantId: U }), record('shared', { capacity: 2 })];
      const f = fleet(rows, { t1: fresh(0, 0), u1: fresh(0, 0), shared: fresh(0, 0) }, now);
      const picks = [];
      for (let i = 0; i < 5; i++) picks.push(await f.pick('de-fra', T));
      expect(picks).toEqual(['t1', 't1', 'shared', 'shared', null]);
    });

    it('never gives a consumer lease (or another location) a dedicated node, even the only one with room', async () => {
      const rows = [record('t1', { tenantId: T }), record('shared', { capacity: 1 })];
      const f = fleet(rows, { t1: fresh(0, 0), shared: fresh(0, 1) }, now);
      for (let i = 0; i < 20; i++) expect(await f.pick('de-fra')).toBeNull();
      expect(await f.pick('auto', U)).toBeNull();
      expect(await f.pick('nl-ams', T)).toBeNull();
      // Public availability counts the shared fleet only.
      expect((await f.service.availability()).get('de-fra')).toEqual({ available: false, load: 'high' });
    });
  });

  it('maps load to the public levels', () => {
    expect([loadLevel(0.1), loadLevel(0.6), loadLevel(0.95)]).toEqual(['low', 'medium', 'high']);
  });

  it('reports availability per location', async () => {
    const f = fleet([record('a'), record('b', { locationId: 'nl-ams', healthy: false })], { a: fresh(10, 100), b: fresh(0) }, now);
    const a = await f.service.availability();
    expect(a.get('de-fra')).toEqual({ available: true, load: 'low' });
    expect(a.get('nl-ams')).toEqual({ available: false, load: 'high' });
  });

  it('builds a candidate from a row and its metrics', () => {
    expect(toCandidate(record('x', { recoveredAt: new Date(5) }), null)).toMatchObject({ healthy: false, lastPulseAt: 0, recoveredAt: 5 });
    // Health as the node reported it at its last pulse wins over rows cached before it turned unhealthy …
    const hot = { load: 1, peers: 0, at: 7, assignedSinceLastPulse: 0 };
    expect(toCandidate(record('x'), { ...hot, healthy: false }).healthy).toBe(false);
    expect(toCandidate(record('x'), { ...hot, healthy: true }).healthy).toBe(true);
    // … a hash without the field leaves the row's word; a row that says unhealthy stays so until it is read again.
    expect(toCandidate(record('x'), hot).healthy).toBe(true);
    expect(toCandidate(record('x', { healthy: false }), { ...hot, healthy: true }).healthy).toBe(false);
  });

  it('never picks a node that reported itself unhealthy at its last pulse, whatever its cached row says', async () => {
    const rows = [record('a'), record('b')];
    const f = fleet(rows, { a: { ...fresh(0), healthy: false }, b: fresh(90) }, now);
    for (let i = 0; i < 20; i++) expect(await f.pick('de-fra')).toBe('b');
  });
});

describe('NodeSelectionService at size', () => {
  it('reads the hot metrics of the two drawn nodes only, not of every node in the location, and caches the rows', async () => {
    const now = 1_000_000_000;
    const rows = Array.from({ length: 1000 }, (_, i) => record(`n${i}`, { tenantId: i < 10 ? 'tenant-a' : null }));
    const f = fleet(rows, Object.fromEntries(rows.map((r) => [r.id, { load: 10, peers: 0, at: now - 1000 }])), now);
    for (let i = 0; i < 20; i++) expect(await f.pick('de-fra')).toMatch(/^n\d+$/);
    expect(f.reads).toHaveLength(20);
    for (const ids of f.reads) expect(ids).toHaveLength(2);
    // Shared-fleet picks never drew a dedicated node.
    expect(f.reads.flat().filter((id) => Number(id.slice(1)) < 10)).toEqual([]);
    // The clock stands still: one read of the rows served every pick.
    expect(f.rowReads()).toBe(1);
    f.reads.length = 0;
    expect(Number((await f.pick('de-fra', 'tenant-a'))!.slice(1))).toBeLessThan(10);
    expect(f.reads).toHaveLength(1);
    expect(f.reads[0]!.every((id) => Number(id.slice(1)) < 10)).toBe(true);
  });
});

describe('NodeSelectionService row cache', () => {
  it('checks rows older than the TTL against the row version behind the requests, reads them again only when it moved, and waits only past the maximum age', async () => {
    let now = 1_000_000_000;
    const rows = [record('a'), record('b')];
    // The first read answers at once; later ones wait until the test answers them (reads[i]).
    const reads: Array<(r: NodeRecord[]) => void> = [];
    let calls = 0;
    const nodes = {
      activeNodes: (loc: string) => {
        calls++;
        if (calls === 1) return Promise.resolve(rows.filter((r) => r.locationId === loc));
        return new Promise<NodeRecord[]>((resolve) => reads.push(resolve));
      },
    };
    const metrics = { read: async (ids: string[]) => new Map(ids.map((id) => [id, { load: 10, peers: 0, at: now - 1000, assignedSinceLastPulse: 0 }])) };
    const random = { source: (n: number) => new Uint8Array(n).fill(7) };
    const version = versionStore();
    const service = selectionService(nodes, metrics, () => now, random, { version });
    const settle = () => new Promise((r) => setImmediate(r));

    expect((await service.select('de-fra'))?.id).toMatch(/^[ab]$/);
    expect([calls, version.store.gets]).toEqual([1, 1]);
    // Past the TTL, nothing changed: served from the rows held; one version check, no read.
    now += NODE_ROWS_TTL_MS + 100;
    expect((await service.select('de-fra'))?.id).toMatch(/^[ab]$/);
    await settle();
    expect([calls, version.store.gets]).toEqual([1, 2]);
    // Found current: used as they are for another TTL (no check at all).
    expect((await service.select('de-fra'))?.id).toMatch(/^[ab]$/);
    expect(version.store.gets).toBe(2);
    // A replica changed a row (the version moved): past the TTL the rows held still answer while they are read again.
    await version.redis.incr();
    now += NODE_ROWS_TTL_MS + 100;
    expect((await service.select('de-fra'))?.id).toMatch(/^[ab]$/);
    await settle();
    expect(calls).toBe(2);
    expect((await service.select('de-fra'))?.id).toMatch(/^[ab]$/);
    // The read lands: its rows (only b now) serve from then on.
    reads[0]!([rows[1]!]);
    await settle();
    expect((await service.select('de-fra'))?.id).toBe('b');
    // Redis does not answer: the rows held are served (and checked again) until the maximum age …
    version.store.down = true;
    now += NODE_ROWS_MAX_AGE_MS - 200;
    expect((await service.select('de-fra'))?.id).toBe('b');
    await settle();
    expect(calls).toBe(3);
    reads[1]!([rows[1]!]);
    await settle();
    // … past which nothing is served until a new read answers.
    version.store.down = false;
    now += NODE_ROWS_MAX_AGE_MS;
    const waiting = service.select('de-fra');
    let answered = false;
    void waiting.then(() => (answered = true));
    await settle();
    expect(answered).toBe(false);
    expect(calls).toBe(4);
    reads[2]!([rows[0]!]);
    expect((await waiting)?.id).toBe('a');
  });

  it('drops its rows and tells every replica when this process changed a node; drops them silently when told', async () => {
    let calls = 0;
    const nodes = { activeNodes: async () => (calls++, [record('a')]) };
    const metrics = { read: async (ids: string[]) => new Map(ids.map((id) => [id, { load: 10, peers: 0, at: 999_999_000, assignedSinceLastPulse: 0 }])) };
    const { emitted, transport } = recordingTransport();
    const version = versionStore();
    const service = selectionService(nodes, metrics, () => 1_000_000_000, { source: (n: number) => new Uint8Array(n).fill(7) }, { transport, version });
    await service.select('de-fra');
    await service.select('de-fra');
    expect(calls).toBe(1);
    service.invalidate();
    expect(emitted).toEqual([Patterns.NODES_CHANGED]);
    // … and moved the fleet's row version on, for a replica that misses the notice.
    await new Promise((r) => setImmediate(r));
    expect(version.store.version).toBe('1');
    await service.select('de-fra');
    expect(calls).toBe(2);
    // Another replica's notice (network.nodes.changed): read again, tell nobody.
    service.forget();
    await service.select('de-fra');
    expect(calls).toBe(3);
    expect(emitted).toEqual([Patterns.NODES_CHANGED]);
  });
});
