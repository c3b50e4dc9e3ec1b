// `up` / `down` (development only): the client's own network namespace, linked to the local
// node's namespace made by `npm run platform`, with wireguard-go using the lease from `redeem`.
// Layout and addresses: tools/platform/netns.ts.
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  createClientLink,
  destroyNamespace,
  inNs,
  INTERNET_HOST,
  LabLayout,
  namespaceExists,
  namespaceProblems,
  NODE_ENDPOINT_HOST,
} from '../platform/netns';
import { ClientError } from './errors';
import { Lease, writeSecretFile } from './state';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PingResult {
  target: string;
  what: string;
  ok: boolean;
  /** Round-trip time in ms, when it answered. */
  rttMs?: number;
}

/** One ping from `ns` (up to `attempts` tries of 1 s each). */
export async function ping(ns: string, target: string, attempts = 10): Promise<{ ok: boolean; rttMs?: number }> {
  for (let i = 0; i < attempts; i++) {
    try {
      const { stdout } = await inNs(ns).run('ping', ['-n', '-c', '1', '-W', '1', target]);
      const m = /time=([\d.]+) ms/.exec(stdout);
      return m ? { ok: true, rttMs: Number(m[1]) } : { ok: true };
    } catch {
      await sleep(200);
    }
  }
  return { ok: false };
}

/**
 * Brings the tunnel up in `lab.clientNs`: links it to the node's namespace, starts wireguard-go
 * there (detached: it keeps running after this command), configures it with the lease (the private
 * key goes to `wg` in a 0600 file, never argv), sets the addresses and default routes through the tunnel,
 * then pings the node's tunnel gateway (and the "internet" namespace, whose answer proves NAT).
 */
export async function up(lab: LabLayout, lease: Lease, stateDir: string): Promise<PingResult[]> {
  const problems = namespaceProblems();
  if (problems.length) throw new ClientError(`\`up\` cannot run here:\n  - ${problems.join('\n  - ')}`);
  const [host, port] = splitEndpoint(lease.peer.endpoint);
  if (host !== NODE_ENDPOINT_HOST) {
    throw new ClientError(`\`up\` only drives the local development node (${NODE_ENDPOINT_HOST}); this lease is for ${lease.peer.endpoint}. Use the wg-quick file instead: wg-quick up ${lease.configFile}`);
  }
  if (!(await namespaceExists(lab.nodeNs))) throw new ClientError(`the local VPN node is not running (no namespace ${lab.nodeNs}): start it with \`npm run platform -- --detach\` as root`);
  if (await namespaceExists(lab.clientNs)) throw new ClientError(`the tunnel is already up (namespace ${lab.clientNs}); run \`down\` first`);
  await createClientLink(lab);
  try {
    const ns = inNs(lab.clientNs);
    const iface = lab.iface.wgClient;
    const log = openSync(join(stateDir, 'wireguard-go.log'), 'w', 0o600);
    try {
      const child = spawn('ip', ['netns', 'exec', lab.clientNs, 'wireguard-go', '-f', iface], {
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, LOG_LEVEL: 'error', WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1' },
      });
      child.unref();
    } finally {
      closeSync(log);
    }
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) {
      ready = await ns.run('wg', ['show', iface]).then(
        () => true,
        () => false,
      );
      if (!ready) await sleep(100);
    }
    if (!ready) throw new ClientError(`wireguard-go did not start (see ${join(stateDir, 'wireguard-go.log')})`);
    // `wg` reads the private key from a file (mode 0600, removed right after), never from argv.
    const keyFile = join(stateDir, 'wg-private.key');
    writeSecretFile(keyFile, `${lease.privateKey}\n`);
    try {
      await ns.run('wg', ['set', iface, 'private-key', keyFile, 'peer', lease.peer.publicKey, 'endpoint', `${host}:${port}`, 'allowed-ips', lease.peer.allowedIps.join(','), 'persistent-keepalive', String(lease.peer.persistentKeepalive ?? 25)]);
    } finally {
      rmSync(keyFile, { force: true });
    }
    for (const address of lease.addresses) {
      await ns.run('ip', [...(address.includes(':') ? ['-6'] : []), 'address', 'add', address, 'dev', iface, ...(address.includes(':') ? ['nodad'] : [])]);
    }
    await ns.run('ip', ['link', 'set', iface, 'mtu', '1420', 'up']);
    // Everything through the tunnel, except the node's endpoint (routed over the underlay link).
    if (lease.addresses.some((a) => !a.includes(':'))) await ns.run('ip', ['route', 'add', 'default', 'dev', iface]);
    if (lease.addresses.some((a) => a.includes(':'))) await ns.run('ip', ['-6', 'route', 'add', 'default', 'dev', iface]);
  } catch (error) {
    await down(lab);
    throw error;
  }
  const results: PingResult[] = [];
  for (const gw of lease.dns) results.push({ target: gw, what: "the node's tunnel gateway", ...(await ping(lab.clientNs, gw, 15)) });
  results.push({ target: INTERNET_HOST, what: '"internet" namespace behind the node (answers only through the node\'s NAT)', ...(await ping(lab.clientNs, INTERNET_HOST, 5)) });
  return results;
}

/** Takes the tunnel down: kills wireguard-go (by pid, the processes in the client namespace) and deletes the namespace and its link. */
export async function down(lab: LabLayout): Promise<boolean> {
  const existed = await namespaceExists(lab.clientNs).catch(() => false);
  await destroyNamespace(lab.clientNs);
  rmSync(`/var/run/wireguard/${lab.iface.wgClient}.sock`, { force: true });
  return existed;
}

export function splitEndpoint(endpoint: string): [string, number] {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!m?.[1] || !m[2]) throw new ClientError(`malformed endpoint: ${endpoint}`);
  return [m[1], Number(m[2])];
}
