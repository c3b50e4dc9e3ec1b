import { packetNodeId, parsePacket } from './announcements';
import { FLEET_FLAGS, UsageError, parseFlags } from './options';
import { TimerHeap, nextSlot, spreadSlot } from './scheduler';
import { simulatedSpread, spreadOf } from './spread';
import { Meter, median, processCpuSeconds, quantile } from './stats';

describe('parseFlags', () => {
  it('takes defaults, --name value and --name=value, with underscores in numbers', () => {
    const { values, help } = parseFlags(['--nodes', '10_000', '--interval=10'], FLEET_FLAGS);
    expect(help).toBe(false);
    expect(values.nodes).toBe(10_000);
    expect(values.interval).toBe(10);
    expect(values.reconcile).toBe(FLEET_FLAGS.reconcile.default);
  });

  it.each([
    [['--nodes', '0'], '--nodes must be between 1 and 100000'],
    [['--nodes', '1.5'], '--nodes must be a whole number'],
    [['--nodes', 'many'], '--nodes must be a number'],
    [['--nodes'], '--nodes needs a value'],
    [['--warp', '9'], 'unknown flag --warp'],
    [['nodes'], 'unexpected argument'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseFlags(argv, FLEET_FLAGS)).toThrow(UsageError);
    expect(() => parseFlags(argv, FLEET_FLAGS)).toThrow(message);
  });

  it('says when help is asked for', () => {
    expect(parseFlags(['--help'], FLEET_FLAGS).help).toBe(true);
  });
});

describe('TimerHeap and slots', () => {
  it('pops in due order and keeps it when shifted', () => {
    const heap = new TimerHeap<string>();
    for (const [at, v] of [[50, 'e'], [10, 'a'], [30, 'c'], [20, 'b'], [40, 'd'], [30, 'c2']] as const) heap.push(at, v);
    heap.shift(1000);
    const out: string[] = [];
    let last = -Infinity;
    for (let e = heap.pop(); e; e = heap.pop()) {
      expect(e.at).toBeGreaterThanOrEqual(last);
      last = e.at;
      out.push(e.item);
    }
    expect(out[0]).toBe('a');
    expect(out.at(-1)).toBe('e');
    expect(out).toHaveLength(6);
    expect(heap.peek()).toBe(Number.POSITIVE_INFINITY);
  });

  it('spreads N agents evenly over a period and finds the next slot ahead', () => {
    expect([0, 1, 2, 3].map((i) => spreadSlot(1000, i, 4, 30_000))).toEqual([1000, 8500, 16_000, 23_500]);
    expect(spreadSlot(0, 0, 4, 40, 0.5)).toBe(5);
    expect(nextSlot(8500, 30_000, 5000)).toBe(8500);
    expect(nextSlot(8500, 30_000, 8500)).toBe(8500);
    expect(nextSlot(8500, 30_000, 8501)).toBe(38_500);
    expect(nextSlot(8500, 30_000, 100_000)).toBe(128_500);
  });
});

describe('spread', () => {
  it('counts nodes that got nothing in the mean', () => {
    expect(spreadOf([4, 4, 8], 4)).toEqual({ nodes: 4, assignments: 16, mean: 4, max: 8, ratio: 2, idle: 1 });
    expect(() => spreadOf([1, 1, 1], 2)).toThrow('only 2 were counted');
  });

  it('two choices spread a burst more evenly than one (simulated, seeded)', () => {
    let x = 42;
    const random = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const one = simulatedSpread(800, 3200, 1, 9, random);
    const two = simulatedSpread(800, 3200, 2, 9, random);
    expect(two).toBeLessThan(one);
    expect(two).toBeGreaterThanOrEqual(1);
    expect(simulatedSpread(1, 10, 2)).toBe(1);
  });
});

describe('announcement packets', () => {
  // What @nestjs/microservices' Redis transport publishes for ClientProxy.emit.
  const packet = JSON.stringify({ pattern: 'network.node.peers-changed', data: { nodeId: 'n-1', generation: 4, added: [{ publicKey: 'k', allowedIps: ['100.64.0.2/32'], expiresAt: 'x' }], removed: [] } });

  it('finds the node id without a full parse, then decodes the event', () => {
    expect(packetNodeId(packet)).toBe('n-1');
    expect(parsePacket(packet)).toEqual({ nodeId: 'n-1', generation: 4, added: [{ publicKey: 'k', allowedIps: ['100.64.0.2/32'], expiresAt: 'x' }], removed: [] });
  });

  it('refuses what is not an announcement', () => {
    expect(packetNodeId('{"pattern":"x","data":{}}')).toBeNull();
    expect(parsePacket('not json')).toBeNull();
    expect(parsePacket('{"pattern":"x","data":{"nodeId":"n","generation":"1","added":[],"removed":[]}}')).toBeNull();
  });
});

describe('stats', () => {
  it('quantiles by nearest rank, medians', () => {
    const xs = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(quantile(xs, 0.5)).toBe(5);
    expect(quantile(xs, 0.99)).toBe(10);
    expect(quantile([], 0.5)).toBeNaN();
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  it('a meter window counts successes and failures per kind, then starts over', () => {
    const m = new Meter();
    m.success('pulse@0', 2);
    m.success('pulse@0', 4);
    m.failure('pulse@0', '503');
    m.failure('peers@1', 'timeout');
    const w = m.take();
    expect(w.kinds.get('pulse@0')).toEqual({ ok: 2, failed: { 503: 1 }, p50: 2, p99: 4 });
    expect(w.kinds.get('peers@1')?.failed).toEqual({ timeout: 1 });
    expect(m.take().kinds.size).toBe(0);
  });

  it('reads a process CPU time from /proc, null for no such process', () => {
    const before = processCpuSeconds(process.pid) as number;
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid) as number).toBeGreaterThan(before);
    expect(processCpuSeconds(2 ** 30)).toBeNull();
  });
});
