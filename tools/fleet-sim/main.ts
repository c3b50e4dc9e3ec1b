// `node -r @swc-node/register tools/fleet-sim/main.ts [flags]`: N simulated node agents against
// config-service replicas it starts on the local stack, while clients redeem; prints what the
// replicas handled every few seconds. README.md next to this file; the measured figures come
// from bench/fleet/fleet.bench.ts.
import path from 'node:path';
import { Announcements } from './announcements';
import { StackUrls } from './cluster';
import { LocalIssuer } from './issuer';
import { FLEET_FLAGS, FlagSpecs, UsageError, parseFlags, usage } from './options';
import { SimulatedFleet } from './simulated-fleet';
import { CpuWindow, KindFigures, quantile, sumKinds } from './stats';

const FLAGS = {
  ...FLEET_FLAGS,
  duration: { default: 60, min: 1, max: 3600, help: 'seconds to run the fleet once it is enrolled and seeded' },
  'redeem-rate': { default: -1, min: -1, max: 1000, integer: false, help: 'redemptions per second while it runs; -1: leases / lease TTL (1 day), what keeps the lease count steady' },
  report: { default: 5, min: 1, max: 600, help: 'seconds between report lines' },
} satisfies FlagSpecs;

const log = (s: string) => process.stdout.write(`${s}\n`);
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');

function stackUrls(): StackUrls {
  const lib = require(path.join(__dirname, '../jest/stack-env-lib.js')) as { readEnvFile: (f: string) => Record<string, string>; ENV_FILE: string };
  const env = lib.readEnvFile(lib.ENV_FILE);
  const need = ['PHOENIX_PG_ADMIN_URL', 'NETWORK_DATABASE_URL', 'REDIS_URL', 'REDIS_URL_NETWORK', 'REDIS_URL_NODE'];
  for (const k of need) if (!env[k]) throw new Error(`${k} is missing from ${lib.ENV_FILE} (npm run stack:start)`);
  return env as unknown as StackUrls & { REDIS_URL_NODE: string };
}

function failures(kinds: Map<string, KindFigures>): string {
  const out: string[] = [];
  for (const [kind, f] of kinds) if (kind !== 'reconcile-triggered') for (const [why, n] of Object.entries(f.failed)) out.push(`${kind} ${why}×${n}`);
  return out.length ? out.join(', ') : 'none';
}

async function main(): Promise<number> {
  let flags: ReturnType<typeof parseFlags<typeof FLAGS>>;
  try {
    flags = parseFlags(process.argv.slice(2), FLAGS);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`fleet-sim: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const o = flags.values;
  if (flags.help) {
    log(usage('fleet-sim: simulated node agents against config-service replicas on the local stack', FLAGS));
    return 0;
  }
  const stack = stackUrls() as StackUrls & { REDIS_URL_NODE: string };
  let aborted = false;
  process.once('SIGINT', () => {
    aborted = true;
    log('interrupted: stopping and cleaning up');
  });

  const issuer = await LocalIssuer.start();
  const announcements = new Announcements(stack.REDIS_URL_NODE, Math.min(o.subscribers, o.nodes));
  let sim: SimulatedFleet | null = null;
  try {
    await announcements.start();
    log(`starting ${o.replicas} config-service replicas (pulse interval ${o.interval} s)…`);
    sim = await SimulatedFleet.start(stack, issuer, announcements, {
      name: 'fleetsim',
      nodes: o.nodes,
      replicas: o.replicas,
      pulseIntervalSec: o.interval,
      reconcileSec: o.reconcile,
      capacity: o.capacity,
      locations: o.locations,
      sockets: o.sockets,
      enrollConcurrency: o['enroll-concurrency'],
    });
    const enrolled = await sim.fleet.register(600_000);
    log(`${fmt(enrolled.registered)} of ${fmt(o.nodes)} nodes registered in ${fmt(enrolled.seconds, 1)} s over ${sim.locations.length} locations`);
    if (o['leases-per-node'] > 0 && !aborted) {
      const t = performance.now();
      const seeded = await sim.seed(o['leases-per-node']);
      log(`seeded ${fmt(seeded.leases)} leases and ${fmt(seeded.spent)} spent tokens in ${fmt((performance.now() - t) / 1000, 1)} s`);
    }
    sim.fleet.start();
    const s = await sim.settled(o['leases-per-node'], Math.max(o.interval, o.reconcile) * 2000 + 30_000);
    log(`nodes started over one interval: ${fmt(s.settled)} of ${fmt(s.of)} hold their peer set after ${fmt(s.seconds, 1)} s`);
    const rate = o['redeem-rate'] >= 0 ? o['redeem-rate'] : (o.nodes * o['leases-per-node']) / 86_400;
    const challenge = await sim.cluster.tokenChallenge();
    const tokens = rate > 0 ? issuer.mint(Math.min(20_000, Math.ceil(rate * o.duration) + 1), challenge) : [];
    const locations = sim.locations;
    const steady = sim.clients.steady(tokens, rate, () => locations[Math.floor(Math.random() * locations.length)] as string);
    log(`running ${o.duration} s: ${fmt(o.nodes / o.interval, 1)} pulses/s and ${fmt(o.nodes / o.reconcile, 1)} peer-set pulls/s due; clients redeem ${fmt(rate, 1)}/s`);
    sim.fleet.meter.take();
    const started = performance.now();
    let cpu = new CpuWindow(sim.pids);
    let lastAt = started;
    const totals = { pulses: 0, peers: 0, notModified: 0 };
    while (!aborted && performance.now() - started < o.duration * 1000) {
      await new Promise((r) => setTimeout(r, Math.min(o.report * 1000, o.duration * 1000 - (performance.now() - started))));
      const window = sim.fleet.meter.take();
      const seconds = (performance.now() - lastAt) / 1000;
      lastAt = performance.now();
      const used = cpu.read();
      cpu = new CpuWindow(sim.pids);
      const pulses = sumKinds(window.kinds, 'pulse@');
      const peers = sumKinds(window.kinds, 'peers@');
      const notModified = sumKinds(window.kinds, 'peers-304@');
      totals.pulses += pulses.ok;
      totals.peers += peers.ok;
      totals.notModified += notModified.ok;
      const pulseLat = [...window.kinds].filter(([k]) => k.startsWith('pulse@')).map(([, f]) => `${fmt(f.p50, 1)}/${fmt(f.p99, 1)}`);
      const cpus = sim.pids.map((pid) => `${fmt((100 * (used.get(pid) ?? Number.NaN)) / seconds)} %`);
      log(
        `t+${fmt((performance.now() - started) / 1000)} s  pulses ${fmt(pulses.ok / seconds)}/s (p50/p99 ms per replica ${pulseLat.join(', ')})  peer sets ${fmt(peers.ok / seconds)}/s (304 ${fmt(notModified.ok / seconds)}/s)  replica CPU ${cpus.join(', ')}  failures: ${failures(window.kinds)}`,
      );
    }
    const redeemed = await steady.stop();
    const lag = sim.clients.lag.sorted();
    const elapsed = (performance.now() - started) / 1000;
    log('');
    log(`| over ${fmt(elapsed)} s | value |`);
    log('| --- | ---: |');
    log(`| pulses handled / due | ${fmt(totals.pulses / elapsed, 1)}/s / ${fmt(o.nodes / o.interval, 1)}/s |`);
    log(`| peer sets pulled whole / conditional pulls answered 304 | ${fmt(totals.peers / elapsed, 1)}/s / ${fmt(totals.notModified / elapsed, 1)}/s |`);
    log(`| redemptions | ${fmt(redeemed.ok)} ok, failures ${JSON.stringify(redeemed.failures)}, not sent (client busy) ${redeemed.skipped} |`);
    log(`| redemption 200 → peer announced at its node, p50 / p99 | ${fmt(quantile(lag, 0.5), 1)} ms / ${fmt(quantile(lag, 0.99), 1)} ms (${fmt(lag.length)} measured, ${sim.clients.unannounced} not seen) |`);
    log(`| announcements (one channel per node): delivered to our ${announcements.connections} subscriber connections / for our nodes | ${fmt(announcements.delivered)} / ${fmt(announcements.routed)} |`);
    return 0;
  } finally {
    await sim?.stop();
    await announcements.stop();
    await issuer.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fleet-sim failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
