/**
 * WireGuard convergence benchmark: how fast node-daemon's batched way (one `wg set` call per up
 * to 1,000 peers, from `diffPeers` + `wgApplyPeerDiff`, dump and diff included) takes an
 * interface from 0 to 10,000 peers and back, beside one `wg set` per peer measured in the same
 * run, and how long one new peer takes on a node that already has 10,000.
 *
 *   node -r @swc-node/register bench/wireguard/converge.bench.ts      (as root)
 *
 * It creates its own network namespace (`phx-bench-<random>`) with a wireguard-go interface,
 * re-runs itself inside it (so every `wg` call costs what it costs on a node, without an
 * `ip netns exec` per call), and deletes the namespace and the process at the end, also on
 * failure. Peers use random keys and 100.64.0.0/10 host addresses. One `wg set` per peer runs
 * on all 10,000 peers while a 60 s budget per direction lasts; on a slower machine the rest is
 * extrapolated linearly from the peers done (each call does the same work) and the output says
 * so — the whole run stays within about three minutes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  diffPeers,
  encodeWireGuardKey,
  ExecFileRunner,
  PeerSpec,
  wgApplyPeerDiff,
  wgShowDump,
} from '../../libs/wireguard/src';
import { assertNamespaceSupport, NetnsLab } from '../../apps/node-daemon/test/netns';
import { median } from '../support';

const PEERS = 10_000;
const PER_PEER_BUDGET_MS = 60_000; // per direction
const ONE_MORE_REPS = 5;
const CHILD_FLAG = 'PHX_BENCH_IFACE';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);

function randomPeers(n: number, offset = 0): PeerSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const host = offset + i + 2; // 100.64.0.2 onwards, inside 100.64.0.0/10
    return { publicKey: encodeWireGuardKey(new Uint8Array(randomBytes(32))), allowedIps: [`100.${64 + (host >> 16)}.${(host >> 8) & 255}.${host & 255}/32`] };
  });
}

/** Inside the namespace: the measurements. */
async function measure(iface: string): Promise<void> {
  const runner = new ExecFileRunner({ timeoutMs: 120_000 });
  const converge = async (desired: PeerSpec[]) => {
    const start = process.hrtime.bigint();
    const dump = await wgShowDump(runner, iface);
    const calls = await wgApplyPeerDiff(runner, iface, diffPeers(desired, dump.peers));
    return { ms: ms(start), calls };
  };
  const count = async () => (await wgShowDump(runner, iface)).peers.length;

  const peers = randomPeers(PEERS);
  const up = await converge(peers);
  if ((await count()) !== PEERS) throw new Error('batched: interface did not reach 10,000 peers');

  const oneMore: number[] = [];
  for (let i = 0; i < ONE_MORE_REPS; i++) {
    const extra = randomPeers(1, PEERS + i);
    const r = await converge([...peers, ...extra]);
    if (r.calls !== 1) throw new Error('one new peer should be one wg set call');
    oneMore.push(r.ms);
    await converge(peers);
  }

  const down = await converge([]);
  if ((await count()) !== 0) throw new Error('batched: interface did not return to 0 peers');

  // One wg set per peer, on all 10,000 while the time budget lasts; if it runs out, the rest is
  // extrapolated from the peers done (each call does the same work) and the output says so.
  const perPeer = async (list: PeerSpec[], args: (p: PeerSpec) => string[]) => {
    const start = process.hrtime.bigint();
    let done = 0;
    for (const p of list) {
      await runner.run('wg', ['set', iface, ...args(p)]);
      done++;
      if (ms(start) > PER_PEER_BUDGET_MS) break;
    }
    const measured = ms(start);
    return { measured, done, scaled: (measured * list.length) / done };
  };
  const singleUp = await perPeer(peers, (p) => ['peer', p.publicKey, 'allowed-ips', p.allowedIps.join(',')]);
  const present = new Set((await wgShowDump(runner, iface)).peers.map((p) => p.publicKey));
  const added = peers.filter((p) => present.has(p.publicKey));
  if (added.length !== singleUp.done) throw new Error('per-peer: interface does not hold the peers added');
  const singleDown = await perPeer(added, (p) => ['peer', p.publicKey, 'remove']);
  await converge([]);
  if ((await count()) !== 0) throw new Error('per-peer: interface did not return to 0 peers');

  // The pieces of "one more peer": reading 10,000 peers back is most of it.
  await converge(peers);
  let start = process.hrtime.bigint();
  await wgShowDump(runner, iface);
  const dumpMs = ms(start);
  const [extra] = randomPeers(1, PEERS + ONE_MORE_REPS);
  start = process.hrtime.bigint();
  await runner.run('wg', ['set', iface, 'peer', extra!.publicKey, 'allowed-ips', extra!.allowedIps.join(',')]);
  const oneSetMs = ms(start);
  await converge([]);

  const describeSingle = (r: { measured: number; done: number; scaled: number }, what: string) =>
    r.done === PEERS
      ? `  ${what}: ${fmt(r.measured)} (${(r.measured / r.done).toFixed(2)} ms/peer), all ${PEERS.toLocaleString('en')} measured`
      : `  ${what}: ${fmt(r.measured)} for ${r.done.toLocaleString('en')} peers (${(r.measured / r.done).toFixed(2)} ms/peer; budget of ${PER_PEER_BUDGET_MS / 1000} s reached) → scaled ×${(PEERS / r.done).toFixed(2)} to ${fmt(r.scaled)} for ${PEERS.toLocaleString('en')}`;
  const singleTotal = singleUp.scaled + singleDown.scaled;
  const batchedTotal = up.ms + down.ms;
  const lines = [
    `interface ${iface} (wireguard-go, own network namespace), ${PEERS.toLocaleString('en')} peers with random keys, 100.64.0.0/10 addresses`,
    '',
    `batched (node-daemon: dump + diffPeers + wgApplyPeerDiff, ≤1,000 peers per wg set):`,
    `  0 → ${PEERS.toLocaleString('en')}: ${fmt(up.ms)} in ${up.calls} wg set calls`,
    `  ${PEERS.toLocaleString('en')} → 0: ${fmt(down.ms)} in ${down.calls} wg set calls`,
    `  total: ${fmt(batchedTotal)}`,
    '',
    `one wg set per peer:`,
    describeSingle(singleUp, `0 → ${PEERS.toLocaleString('en')}`),
    describeSingle(singleDown, `${PEERS.toLocaleString('en')} → 0`),
    `  total: ${fmt(singleTotal)}${singleUp.done === PEERS && singleDown.done === PEERS ? '' : ' (partly extrapolated, see above)'}`,
    '',
    `ratio, 0 → ${PEERS.toLocaleString('en')} → 0: one-per-peer / batched = ${(singleTotal / batchedTotal).toFixed(1)}× (batched is faster)`,
    '',
    `one new peer on a node with ${PEERS.toLocaleString('en')} (dump + diff + one wg set), median of ${ONE_MORE_REPS}: ${fmt(median(oneMore))} (all: ${oneMore.map(fmt).join(', ')})`,
    `  of which: wg show dump of ${PEERS.toLocaleString('en')} peers ${fmt(dumpMs)}, the single wg set ${fmt(oneSetMs)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** In the root namespace: set up, run the measurements inside the namespace, clean up. */
async function main(): Promise<void> {
  assertNamespaceSupport();
  const lab = new NetnsLab();
  const dir = mkdtempSync(join(tmpdir(), 'phx-bench-'));
  const iface = `phx${lab.tag}bn`;
  try {
    const ns = await lab.addNamespace('bench');
    lab.trackInterface(iface);
    const wg = lab.spawn(ns, 'wireguard-go', ['-f', iface]);
    wg.stdout?.resume();
    wg.stderr?.resume();
    let up = false;
    for (let i = 0; i < 50 && !up; i++) {
      up = await lab.succeeds(ns, 'wg', ['show', iface]);
      if (!up) await sleep(100);
    }
    if (!up) throw new Error('wireguard-go did not bring the interface up');
    const keyFile = join(dir, 'bench.key');
    writeFileSync(keyFile, `${encodeWireGuardKey(new Uint8Array(randomBytes(32)))}\n`, { mode: 0o600 });
    await lab.run(ns, 'wg', ['set', iface, 'listen-port', '51999', 'private-key', keyFile]);
    await lab.run(ns, 'ip', ['address', 'add', '100.64.0.1/10', 'dev', iface]);
    await lab.run(ns, 'ip', ['link', 'set', iface, 'up']);

    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, __filename], {
      env: { ...process.env, [CHILD_FLAG]: iface },
      stdio: 'inherit',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`measurement failed (exit ${code ?? 'killed after 170 s'})`);
  } finally {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const childIface = process.env[CHILD_FLAG];
(childIface ? measure(childIface) : main()).catch((error: Error) => {
  process.stderr.write(`converge.bench: ${error.message}\n`);
  process.exit(1);
});
