/**
 * Fleet benchmark (issue 19 part 3): N simulated node agents (tools/fleet-sim: register, pulse,
 * pull peer sets — periodic ones conditional, 304 for the generation held — follow announcements
 * over Redis as the node user, each on its node's own channel — no WireGuard) against two
 * config-service replicas on the local stack, while clients redeem:
 *
 *   node -r @swc-node/register bench/fleet/fleet.bench.ts [--nodes 10000] [--interval 30] [--help]
 *   npm run bench -- fleet -- --nodes 1000
 *
 * Two fleets run side by side, each on its own throwaway network database with its own pair of
 * replicas: the measured one (N nodes, `--leases-per-node` leases each: 10,000 × 100 = 1,000,000)
 * and the baseline (10 nodes × 100 = 1,000 leases). The nodes register, then their leases and as
 * many spent-token nullifiers are bulk-loaded (tools/fleet-sim/seed.ts), then the nodes start at
 * phases spread evenly over one interval: each pulls its set and pulses, as a daemon does after
 * registering. Then, each phase bounded in count and time:
 *
 * 1. Steady window (one pulse interval by default; opened one interval after a start that took
 *    longer than an interval): every agent pulses once per interval,
 *    reconciles every `--reconcile` seconds (node-daemon's default 30), applies announcements;
 *    clients redeem at leases / lease TTL (what keeps the lease count steady). Pulses handled per
 *    second against the N / interval due (the fleet keeps up: ≥ 0.95); per replica its latency,
 *    the part of it spent waiting for a connection in the simulator, and its CPU share; CPU of the
 *    run database's Postgres backends and of the simulator.
 * 2. Saturation, the fleets' loops paused and drained: registered nodes pulse one replica as fast
 *    as it answers (`--saturate-concurrency` at a time, `--saturate` seconds, connections of its
 *    own); its max pulse rate, the CPU per pulse (process CPU time from /proc/<pid>/stat over
 *    pulses answered) of the replica, the Postgres backends and the simulator; head-room: the
 *    worst replica's rate against the 333/s of 10,000 nodes at a 30 s interval (target ≥ 2, so one
 *    replica alone carries the fleet with room to spare). The same for peer-set pulls on replica 0.
 *    Each measured run follows an unmeasured one of half the length, and the baseline's replicas
 *    get those too, so every replica is as warmed up (V8 optimizes what runs often; an idle
 *    replica answered redemptions about 2× slower).
 * 3. Redemption latency: one sequential client, rounds alternating between the baseline fleet and
 *    the measured one (both live), to a random location of each. p50 ratio = median of per-round
 *    ratios; p99 ratio from the pooled samples. Target ≤ 1.5 both.
 * 4. Spread: a burst of `--burst-per-node` × (nodes in the location) redemptions to one location,
 *    16 at a time over both replicas; max/mean configs per node, beside one random choice and
 *    ideal two choices (exact loads, shared at once) simulated for the same nodes and burst.
 * Also: registration rate, the start wave, and the time from a redemption's 200 to the
 * announcement reaching its node.
 *
 * Everything it starts is stopped (replicas by pid), its databases are dropped and its Redis keys
 * deleted, also on failure.
 */
import { cpus, loadavg } from 'node:os';
import { Client } from 'pg';
import { Announcements } from '../../tools/fleet-sim/announcements';
import { LocalIssuer } from '../../tools/fleet-sim/issuer';
import { FLEET_FLAGS, FlagSpecs, UsageError, parseFlags, usage } from '../../tools/fleet-sim/options';
import { SimulatedFleet } from '../../tools/fleet-sim/simulated-fleet';
import { simulatedSpread, spreadOf } from '../../tools/fleet-sim/spread';
import { CpuWindow, KindFigures, median, processCpuSeconds, quantile, sumKinds } from '../../tools/fleet-sim/stats';
import { stackEnv } from '../support';

const FLAGS = {
  ...FLEET_FLAGS,
  nodes: { ...FLEET_FLAGS.nodes, default: 10_000 },
  window: { default: 0, min: 0, max: 600, help: 'seconds of the steady window; 0: one pulse interval' },
  saturate: { default: 5, min: 1, max: 60, help: 'seconds of saturation per replica' },
  'saturate-concurrency': { default: 32, min: 1, max: 512, help: 'pulses under way at once while saturating' },
  'baseline-nodes': { default: 10, min: 1, max: 1000, help: 'nodes of the baseline fleet' },
  'baseline-leases-per-node': { default: 100, min: 0, max: 10_000, help: 'leases per node of the baseline fleet' },
  'latency-rounds': { default: 8, min: 1, max: 100, help: 'alternating rounds of sequential redemptions' },
  'latency-requests': { default: 480, min: 10, max: 20_000, help: 'sequential redemptions per fleet (over all rounds)' },
  'burst-per-node': { default: 4, min: 1, max: 100, help: 'burst size per node of the burst location' },
  'redeem-rate': { default: -1, min: -1, max: 1000, integer: false, help: 'redemptions per second in the steady window; -1: leases / lease TTL (1 day)' },
} satisfies FlagSpecs;

/** 10,000 nodes pulsing every 30 s: what each replica must keep up with. */
const TARGET_PULSES = 10_000 / 30;
const TARGET_HEADROOM = 2;
const TARGET_LATENCY_RATIO = 1.5;
const WARMUP = 100;
const BURST_CONCURRENCY = 16;
/** Bounds of the redemption phases (no request starts after). */
const LATENCY_PHASE_MS = 75_000;
const BURST_PHASE_MS = 45_000;

const log = (s: string) => process.stdout.write(`${s}\n`);
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');
const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function failuresOf(kinds: Map<string, KindFigures>): string {
  const out: string[] = [];
  for (const [kind, f] of kinds) if (kind !== 'reconcile-triggered') for (const [why, n] of Object.entries(f.failed)) out.push(`${kind} ${why}×${n}`);
  return out.length ? out.join(', ') : 'none';
}

/** The pids of the Postgres backends serving one database now (its replicas' pools). */
async function backendPids(adminUrl: string, database: string): Promise<number[]> {
  const db = new Client({ connectionString: adminUrl });
  await db.connect();
  try {
    return (await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database])).rows.map((r: { pid: number }) => r.pid);
  } finally {
    await db.end();
  }
}

/**
 * CPU seconds the backends of one database used over a window. Pools open and close connections
 * (node-postgres drops one idle for 10 s), so the backends are listed at both ends: one seen at
 * both counts its difference, one that appeared counts all its time, one that ended counts
 * nothing (an undercount when the load is light).
 */
class BackendCpu {
  private constructor(
    private readonly adminUrl: string,
    private readonly database: string,
    private readonly start: Map<number, number>,
  ) {}

  static async open(adminUrl: string, database: string): Promise<BackendCpu> {
    const start = new Map<number, number>();
    for (const pid of await backendPids(adminUrl, database)) {
      const s = processCpuSeconds(pid);
      if (s !== null) start.set(pid, s);
    }
    return new BackendCpu(adminUrl, database, start);
  }

  async total(): Promise<number> {
    let sum = 0;
    for (const pid of await backendPids(this.adminUrl, this.database)) {
      const now = processCpuSeconds(pid);
      if (now !== null) sum += now - (this.start.get(pid) ?? 0);
    }
    return sum;
  }
}

/** The simulator's own CPU seconds (this process). */
function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function main(): Promise<number> {
  let flags: ReturnType<typeof parseFlags<typeof FLAGS>>;
  try {
    flags = parseFlags(process.argv.slice(2), FLAGS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`fleet bench: ${e.message}\n`);
    return 2;
  }
  if (flags.help) {
    log(usage('fleet benchmark (bench/fleet/fleet.bench.ts)', FLAGS));
    return 0;
  }
  const o = flags.values;
  const env = stackEnv();
  const stack = {
    PHOENIX_PG_ADMIN_URL: env.PHOENIX_PG_ADMIN_URL as string,
    NETWORK_DATABASE_URL: env.NETWORK_DATABASE_URL as string,
    REDIS_URL: env.REDIS_URL as string,
    REDIS_URL_NETWORK: env.REDIS_URL_NETWORK as string,
  };
  const nodeRedisUrl = env.REDIS_URL_NODE as string;
  const windowSec = o.window || o.interval;
  const due = o.nodes / o.interval;
  log(`fleet benchmark: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((x) => fmt(x, 1)).join(' ')}`);
  log(`N = ${fmt(o.nodes)} nodes × ${fmt(o['leases-per-node'])} leases against ${o.replicas} replicas; pulse every ${o.interval} s (${fmt(due, 1)}/s due), reconcile every ${o.reconcile} s; baseline ${o['baseline-nodes']} nodes × ${o['baseline-leases-per-node']} leases`);
  const t0 = performance.now();
  const elapsed = () => `${fmt((performance.now() - t0) / 1000)} s`;

  const issuer = await LocalIssuer.start();
  const announcements = new Announcements(nodeRedisUrl, Math.min(o.subscribers, o.nodes + o['baseline-nodes']));
  const fleets: SimulatedFleet[] = [];
  try {
    await announcements.start();
    const common = { replicas: o.replicas, pulseIntervalSec: o.interval, reconcileSec: o.reconcile, capacity: o.capacity, locations: o.locations, sockets: o.sockets, enrollConcurrency: o['enroll-concurrency'] };
    const started = await Promise.allSettled([
      SimulatedFleet.start(stack, issuer, announcements, { ...common, name: 'fleetbench', nodes: o.nodes }),
      SimulatedFleet.start(stack, issuer, announcements, { ...common, name: 'fleetbase', nodes: o['baseline-nodes'] }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') fleets.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [big, small] = fleets as [SimulatedFleet, SimulatedFleet];
    log(`[${elapsed()}] ${2 * o.replicas} replicas ready (pids ${[...big.pids, ...small.pids].join(', ')})`);

    // --- Tokens for every redemption of the run, minted up front (≈ 1.5 ms of CPU each).
    const steadyRate = o['redeem-rate'] >= 0 ? o['redeem-rate'] : (o.nodes * o['leases-per-node']) / 86_400;
    const burstLocation = big.locations[0] as string;
    const burstSize = o['burst-per-node'] * Math.ceil(o.nodes / big.locations.length);
    const mintStart = performance.now();
    const [bigChallenge, smallChallenge] = await Promise.all([big.cluster.tokenChallenge(), small.cluster.tokenChallenge()]);
    const bigTokens = issuer.mint(Math.ceil(steadyRate * windowSec * 1.2) + WARMUP + o['latency-requests'] + burstSize, bigChallenge);
    const smallTokens = issuer.mint(WARMUP + o['latency-requests'], smallChallenge);
    log(`[${elapsed()}] minted ${fmt(bigTokens.length + smallTokens.length)} tokens in ${fmt((performance.now() - mintStart) / 1000, 1)} s`);
    let bigCursor = 0;
    const takeBig = (n: number) => bigTokens.slice(bigCursor, (bigCursor += n));
    let smallCursor = 0;
    const takeSmall = (n: number) => smallTokens.slice(smallCursor, (smallCursor += n));

    // --- Registration: the baseline's few nodes, then the measured fleet (POST /nodes/register only).
    await small.fleet.register(60_000);
    const reg = await big.fleet.register(240_000);
    const regFigures = big.fleet.meter.take();
    log(`[${elapsed()}] ${fmt(reg.registered)} of ${fmt(o.nodes)} nodes registered in ${fmt(reg.seconds, 1)} s (${fmt(reg.registered / reg.seconds)}/s); failures: ${failuresOf(regFigures.kinds)}`);

    // --- Leases, bulk-loaded before the nodes start.
    const seedStart = performance.now();
    const [seedBig, seedSmall] = await Promise.all([big.seed(o['leases-per-node']), small.seed(o['baseline-leases-per-node'])]);
    log(`[${elapsed()}] seeded ${fmt(seedBig.leases)} + ${fmt(seedSmall.leases)} leases (and as many spent tokens) in ${fmt((performance.now() - seedStart) / 1000, 1)} s`);

    // --- The nodes start, spread over one interval: each pulls its set (nodes that failed to register register now), then pulses.
    small.fleet.start();
    big.fleet.start();
    const waveBound = performance.now() + 3 * o.interval * 1000 + 30_000;
    const wave = await big.settled(o['leases-per-node'], waveBound - performance.now());
    await small.settled(o['baseline-leases-per-node'], 30_000);
    // …and until what the start left queued here has been answered (a pull asked for by a pulse
    // that answered first, as node-daemon does), so the steady window starts steady.
    const backlog = o.sockets * o.replicas;
    while (big.fleet.inFlight > backlog && performance.now() < waveBound) await sleep(250);
    const waveFigures = big.fleet.meter.take();
    const wavePulls = sumKinds(waveFigures.kinds, 'peers@');
    log(`[${elapsed()}] started (${fmt(big.fleet.inFlight)} requests under way): ${fmt(wave.settled)} of ${fmt(wave.of)} nodes hold their ${o['leases-per-node']}-peer set after ${fmt(wave.seconds, 1)} s (${fmt(wavePulls.ok / waveFigures.seconds)} sets/s); reconciles triggered ${JSON.stringify(waveFigures.kinds.get('reconcile-triggered')?.failed ?? {})}; failures: ${failuresOf(waveFigures.kinds)}`);
    if (wave.of < o.nodes) throw new Error(`only ${wave.of} of ${o.nodes} nodes registered`);
    // A start that took longer than an interval leaves the last nodes' first pulses late, and a
    // late run skips its next slot (an overloaded replica sees fewer requests, as from daemons):
    // those skipped slots fall in the interval after the start. The window opens one pulse
    // interval later, when every node is back on its phase (measured, a window opened at once
    // counted 0.58-0.79 of due after starts of 49-54 s).
    if (wave.seconds > o.interval) {
      log(`[${elapsed()}] the start took ${fmt(wave.seconds, 1)} s, more than an interval: one interval (${o.interval} s) for the skipped slots to pass`);
      await sleep(o.interval * 1000);
    }

    // --- 1. Steady fleet, clients redeeming.
    const pgCpuOf = () => BackendCpu.open(stack.PHOENIX_PG_ADMIN_URL, big.cluster.databaseName);
    const locs = big.locations;
    const steadyTokens = takeBig(Math.ceil(steadyRate * windowSec * 1.2));
    big.fleet.meter.take();
    const replicaCpu = new CpuWindow(big.pids);
    const baselineCpu = new CpuWindow(small.pids);
    const pgCpu = await pgCpuOf();
    const sim0 = selfCpu();
    const deliveredBefore = announcements.delivered;
    const routedBefore = announcements.routed;
    const steady = big.clients.steady(steadyTokens, steadyRate, () => locs[Math.floor(Math.random() * locs.length)] as string);
    await sleep(windowSec * 1000);
    const redeemed = await steady.stop();
    const steadyFigures = big.fleet.meter.take();
    const replicaUsed = replicaCpu.read();
    const baselineUsed = baselineCpu.total() / small.pids.length;
    const pgUsed = await pgCpu.total();
    const simUsed = selfCpu() - sim0;
    const delivered = announcements.delivered - deliveredBefore;
    const routed = announcements.routed - routedBefore;
    const sec = steadyFigures.seconds;
    const steadyPulses = sumKinds(steadyFigures.kinds, 'pulse@');
    const steadyPulls = sumKinds(steadyFigures.kinds, 'peers@');
    const steadyNotModified = sumKinds(steadyFigures.kinds, 'peers-304@');
    const keptUp = steadyPulses.ok / sec / due;
    log(`[${elapsed()}] steady window: ${fmt(steadyPulses.ok / sec, 1)} pulses/s (${fmt(keptUp, 2)} of due); failures: ${failuresOf(steadyFigures.kinds)}; redemptions ${redeemed.ok} ok ${JSON.stringify(redeemed.failures)}`);

    // --- 2. Saturation, one replica at a time, the fleets' loops paused and drained.
    big.fleet.pause();
    small.fleet.pause();
    // An overloaded fleet leaves a backlog queued here: it is dropped (those nodes see a network
    // failure and back off), then the replicas get a moment to finish what they had been sent.
    const dropped = (await big.fleet.drained(10_000)) > 0 ? big.fleet.abortInFlight() : 0;
    if (dropped) await sleep(5000);
    const saturation: Array<{ rate: number; cpuMs: number; pgMs: number; simMs: number; p50: number; p99: number; failed: number }> = [];
    const saturateOnce = async (what: 'pulse' | 'peers' | 'peers-304', r: number) => {
      const cpu = new CpuWindow([big.pids[r] as number]);
      const pg = await pgCpuOf();
      const s0 = selfCpu();
      const s = await big.fleet.saturate(what, r, o['saturate-concurrency'], o.saturate * 1000, 1_000_000);
      return { rate: s.ok / s.seconds, cpuMs: (1000 * cpu.total()) / s.ok, pgMs: (1000 * (await pg.total())) / s.ok, simMs: (1000 * (selfCpu() - s0)) / s.ok, p50: s.p50, p99: s.p99, failed: s.failed };
    };
    // Unmeasured first: each replica's pulse and peer-set paths as warmed up (V8) at 1,000 nodes as at 10,000.
    const warmMs = Math.max(2000, (o.saturate * 1000) / 2);
    for (let r = 0; r < big.pids.length; r++) await big.fleet.saturate('pulse', r, o['saturate-concurrency'], warmMs, 1_000_000);
    await big.fleet.saturate('peers', 0, o['saturate-concurrency'], warmMs, 1_000_000);
    await big.fleet.saturate('peers-304', 0, o['saturate-concurrency'], warmMs, 1_000_000);
    for (let r = 0; r < big.pids.length; r++) saturation.push(await saturateOnce('pulse', r));
    // The other request every node makes periodically: its peer set (replica 0 only), whole, and
    // conditional (If-None-Match with the generation held: 304, what most periodic reconciles get).
    const pull = await saturateOnce('peers', 0);
    const pull304 = await saturateOnce('peers-304', 0);
    // The baseline's replicas get the warm-up runs too: both pairs then went through the same
    // HTTP, validation, Postgres and Redis code as often (V8 optimizes what runs often), so the
    // latency comparison below compares fleet sizes, not how warmed up each process is.
    for (let r = 0; r < small.pids.length; r++) await small.fleet.saturate('pulse', r, o['saturate-concurrency'], warmMs, 1_000_000);
    await small.fleet.saturate('peers', 0, o['saturate-concurrency'], warmMs, 1_000_000);
    await small.fleet.saturate('peers-304', 0, o['saturate-concurrency'], warmMs, 1_000_000);
    big.fleet.resume();
    small.fleet.resume();
    log(`[${elapsed()}] saturation (${dropped ? `after dropping ${dropped} requests still queued` : 'the loops drained'}): pulses ${saturation.map((s) => `${fmt(s.rate)}/s`).join(', ')}; peer sets ${fmt(pull.rate)}/s, 304s ${fmt(pull304.rate)}/s`);

    // --- 3. Redemption latency, baseline vs measured fleet, alternating rounds (bounded in time).
    const latencyDeadline = performance.now() + LATENCY_PHASE_MS;
    const pickIn = (fleet: SimulatedFleet) => (i: number) => ({ replica: i, location: fleet.locations[Math.floor(Math.random() * fleet.locations.length)] as string });
    const latencyFailures: Record<string, number> = {};
    const addFailures = (f: Record<string, number>, which: string) => Object.entries(f).forEach(([k, v]) => (latencyFailures[`${which} ${k}`] = (latencyFailures[`${which} ${k}`] ?? 0) + v));
    addFailures((await small.clients.sequential(takeSmall(WARMUP), pickIn(small), latencyDeadline)).failures, 'baseline');
    addFailures((await big.clients.sequential(takeBig(WARMUP), pickIn(big), latencyDeadline)).failures, 'N');
    const per = Math.floor(o['latency-requests'] / o['latency-rounds']);
    const smallTimes: number[] = [];
    const bigTimes: number[] = [];
    const roundRatios: number[] = [];
    for (let r = 0; r < o['latency-rounds'] && performance.now() < latencyDeadline; r++) {
      const order = r % 2 === 0 ? ['small', 'big'] : ['big', 'small'];
      const p50s: Record<string, number> = {};
      for (const which of order) {
        const run = which === 'small' ? await small.clients.sequential(takeSmall(per), pickIn(small), latencyDeadline) : await big.clients.sequential(takeBig(per), pickIn(big), latencyDeadline);
        if (run.times.length === 0) continue;
        addFailures(run.failures, which === 'small' ? 'baseline' : 'N');
        (which === 'small' ? smallTimes : bigTimes).push(...run.times);
        p50s[which] = median(run.times);
      }
      if (p50s.big !== undefined && p50s.small !== undefined) roundRatios.push(p50s.big / p50s.small);
    }
    smallTimes.sort((a, b) => a - b);
    bigTimes.sort((a, b) => a - b);
    const p50Ratio = median(roundRatios);
    const p99Ratio = quantile(bigTimes, 0.99) / quantile(smallTimes, 0.99);
    log(`[${elapsed()}] latency rounds (p50 N / baseline): ${roundRatios.map((x) => fmt(x, 2)).join(', ')}`);

    // --- 4. Spread over one location's nodes (bounded in time).
    const burstNodes = big.nodesIn(burstLocation);
    const burst = await big.clients.burst(takeBig(burstSize), burstLocation, BURST_CONCURRENCY, performance.now() + BURST_PHASE_MS);
    const spread = spreadOf(burst.perNode.values(), burstNodes);
    const oneChoice = simulatedSpread(burstNodes, burst.ok, 1);
    const twoChoices = simulatedSpread(burstNodes, burst.ok, 2);
    log(`[${elapsed()}] burst: ${fmt(burst.ok)} configs in ${fmt(burst.seconds, 1)} s; failures ${JSON.stringify(burst.failures)}`);
    // Announcements still on their way.
    await sleep(2000);

    // --- The table.
    const lag = [...big.clients.lag.sorted(), ...small.clients.lag.sorted()].sort((a, b) => a - b);
    const worstHeadroom = Math.min(...saturation.map((s) => s.rate / TARGET_PULSES));
    log('');
    log(`| measurement (N = ${fmt(o.nodes)} nodes, ${fmt(seedBig.leases)} leases; loopback, ${o.replicas} replicas; load average ${loadavg().map((x) => fmt(x, 1)).join(' ')}) | value |`);
    log('| --- | ---: |');
    log(`| registration (POST /nodes/register, ${o['enroll-concurrency']} at a time) | ${fmt(reg.registered / reg.seconds)} nodes/s |`);
    log(`| start: every node pulls its ${o['leases-per-node']}-peer set, then pulses (spread over one interval) | all in ${fmt(wave.seconds, 1)} s, ${fmt(wavePulls.ok / waveFigures.seconds)} sets/s |`);
    log(`| **steady window (${fmt(sec)} s): pulses handled / due** (${fmt(due, 1)}/s) | ${fmt(steadyPulses.ok / sec, 1)}/s — **${fmt(keptUp, 2)}** ${pass(keptUp >= 0.95)} |`);
    big.pids.forEach((pid, r) => {
      const f = steadyFigures.kinds.get(`pulse@${r}`);
      const q = steadyFigures.kinds.get(`queue:pulse@${r}`);
      const used = replicaUsed.get(pid) ?? Number.NaN;
      log(`| replica ${r}: pulses/s; p50 / p99 (of which waiting for a connection in the simulator, p50); CPU share of one core | ${fmt((f?.ok ?? 0) / sec, 1)}/s; ${fmt(f?.p50 ?? Number.NaN, 1)} / ${fmt(f?.p99 ?? Number.NaN, 1)} ms (${fmt(q?.p50 ?? Number.NaN, 1)} ms); ${fmt((100 * used) / sec, 1)} % |`);
    });
    log(`| steady window: peer sets pulled whole / conditional pulls answered 304 / due (periodic); reconciles triggered by cause | ${fmt(steadyPulls.ok / sec, 1)}/s / ${fmt(steadyNotModified.ok / sec, 1)}/s / ${fmt(o.nodes / o.reconcile, 1)}/s; ${JSON.stringify(steadyFigures.kinds.get('reconcile-triggered')?.failed ?? {})} |`);
    log(`| steady window, CPU share of one core: Postgres backends of the run's database / simulator / each baseline replica (${o['baseline-nodes']} nodes) | ${fmt((100 * pgUsed) / sec, 1)} % / ${fmt((100 * simUsed) / sec, 1)} % / ${fmt((100 * baselineUsed) / sec, 1)} % |`);
    for (const [r, s] of saturation.entries()) {
      log(`| replica ${r} saturated with pulses (${o['saturate-concurrency']} at a time, ${o.saturate} s): max/s, p50 / p99 | ${fmt(s.rate)}/s, ${fmt(s.p50, 1)} / ${fmt(s.p99, 1)} ms${s.failed ? ` (${s.failed} failed)` : ''} |`);
      log(`| replica ${r}: CPU per pulse — replica / Postgres / simulator (a core of its own: ${fmt(1000 / s.cpuMs)} pulses/s) | ${fmt(s.cpuMs, 2)} / ${fmt(s.pgMs, 2)} / ${fmt(s.simMs, 2)} ms |`);
    }
    log(`| **head-room**: worst replica's max pulse rate / ${fmt(TARGET_PULSES)}/s (10,000 nodes at 30 s; target ≥ ${TARGET_HEADROOM}) | **${fmt(worstHeadroom, 1)}×** ${pass(worstHeadroom >= TARGET_HEADROOM)} |`);
    log(`| replica 0 saturated with peer-set pulls (${o['leases-per-node']} peers each): max/s, p50 / p99 | ${fmt(pull.rate)}/s, ${fmt(pull.p50, 1)} / ${fmt(pull.p99, 1)} ms${pull.failed ? ` (${pull.failed} failed)` : ''} |`);
    log(`| replica 0: CPU per peer-set pull — replica / Postgres / simulator | ${fmt(pull.cpuMs, 2)} / ${fmt(pull.pgMs, 2)} / ${fmt(pull.simMs, 2)} ms |`);
    log(`| replica 0 saturated with conditional pulls answered 304 (the generation held): max/s, p50 / p99 | ${fmt(pull304.rate)}/s, ${fmt(pull304.p50, 1)} / ${fmt(pull304.p99, 1)} ms${pull304.failed ? ` (${pull304.failed} failed)` : ''} |`);
    log(`| replica 0: CPU per 304 — replica / Postgres / simulator | ${fmt(pull304.cpuMs, 2)} / ${fmt(pull304.pgMs, 2)} / ${fmt(pull304.simMs, 2)} ms |`);
    log(`| redemption p50 / p99, baseline: ${o['baseline-nodes']} nodes, ${fmt(seedSmall.leases)} leases (${fmt(smallTimes.length)} sequential, ${roundRatios.length} rounds) | ${fmt(quantile(smallTimes, 0.5), 2)} / ${fmt(quantile(smallTimes, 0.99), 2)} ms |`);
    log(`| redemption p50 / p99 at ${fmt(o.nodes)} nodes, ${fmt(seedBig.leases)} leases (${fmt(bigTimes.length)}, alternating with the baseline) | ${fmt(quantile(bigTimes, 0.5), 2)} / ${fmt(quantile(bigTimes, 0.99), 2)} ms |`);
    log(`| **p50 ratio** (median of per-round ratios; target ≤ ${TARGET_LATENCY_RATIO}) | **${fmt(p50Ratio, 2)}** ${pass(p50Ratio <= TARGET_LATENCY_RATIO)} |`);
    log(`| **p99 ratio** (pooled; target ≤ ${TARGET_LATENCY_RATIO}) | **${fmt(p99Ratio, 2)}** ${pass(p99Ratio <= TARGET_LATENCY_RATIO)} |`);
    log(`| burst: ${fmt(burst.ok)} redemptions to ${burstLocation} (${fmt(burstNodes)} nodes), ${BURST_CONCURRENCY} at a time | ${fmt(burst.ok / burst.seconds)}/s, p50 / p99 ${fmt(burst.p50, 1)} / ${fmt(burst.p99, 1)} ms |`);
    log(`| **spread: max / mean configs per node** (mean ${fmt(spread.mean, 2)}, max ${spread.max}, ${spread.idle} nodes got none) | **${fmt(spread.ratio, 2)}** |`);
    log(`| same burst simulated: one random choice / ideal two choices (median of 15) | ${fmt(oneChoice, 2)} / ${fmt(twoChoices, 2)} |`);
    log(`| redemption 200 → announcement applied at its node, p50 / p99 (${fmt(lag.length)} redemptions) | ${fmt(quantile(lag, 0.5), 1)} / ${fmt(quantile(lag, 0.99), 1)} ms |`);
    log(`| announcements in the steady window: for our nodes / delivered to ${announcements.connections} subscriber connections | ${fmt(routed / sec, 1)}/s / ${fmt(delivered / sec)}/s (one channel per node: each delivered once, to its node, as in a real fleet) |`);
    const failures = Object.values(latencyFailures).reduce((a, b) => a + b, 0);
    log(`| redemptions refused (latency rounds; steady; burst) | ${failures} ${JSON.stringify(latencyFailures)}; ${JSON.stringify(redeemed.failures)}; ${JSON.stringify(burst.failures)} |`);
    log(`| simulator: resident memory at the end | ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB |`);
    log(`| total run time | ${elapsed()} |`);
    if (failures || Object.keys(redeemed.failures).length || Object.keys(burst.failures).length) {
      for (const f of fleets) for (const r of f.cluster.replicas) log(`\n--- ${r.base} (pid ${r.pid}), last lines:\n${r.service.output().slice(-1500)}`);
    }
    return 0;
  } finally {
    await Promise.allSettled(fleets.map((f) => f.stop()));
    await announcements.stop();
    await issuer.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fleet bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
