// The local VPN node's network lab: which namespaces, links and addresses `npm run platform` and
// the reference client's `up` use, and the code that creates and removes them.
//
//   root namespace                 phx-node (node-daemon's wg + nftables)           phx-inet
//   phx-root 198.18.0.1/30 ─veth─ phx-nup 198.18.0.2/30   (the node's endpoint)
//                                  phx-ninet 198.18.0.9/30 ─veth─ phx-inet 198.18.0.10/30
//                                  phx-wgn 100.64.0.1/16, fd00:70:1::1/64  (tunnel gateway)
//                                  phx-ncl 198.18.0.5/30 ─veth─ phx-cl 198.18.0.6/30   phx-client
//                                                                phx-wgc <lease addresses>
//
// Rules: only these fixed names (a tag is appended for test labs), underlay links in
// 198.18.0.0/15 only, tunnel pools in 100.64.0.0/10 and fd00::/8 only; "phx-inet" has no route
// to the tunnel pools, so an answer from it proves the node's NAT. Nothing here touches the
// root namespace except the one veth end `phx-root`. Everything is removed by deleting the
// namespaces (which takes their links) after killing the processes inside them (`ip netns pids`).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, rmSync } from 'node:fs';
import { CommandRunner, ExecFileRunner, NetnsRunner } from '@phoenix/wireguard';

/** Names and addresses of one lab. The platform's is {@link PLATFORM_LAB}; tests make tagged ones. */
export interface LabLayout {
  nodeNs: string;
  inetNs: string;
  clientNs: string;
  /** Interfaces (≤ 15 characters each). */
  iface: {
    root: string;
    nodeUp: string;
    nodeInet: string;
    inet: string;
    nodeClient: string;
    client: string;
    wgNode: string;
    wgClient: string;
  };
  /** Whether the root namespace gets a veth to the node (the platform: yes; test labs: no). */
  rootLink: boolean;
}

export const ADDR = {
  root: '198.18.0.1/30',
  /** The node's underlay address: its announced WireGuard endpoint host. */
  nodeUp: '198.18.0.2/30',
  nodeClient: '198.18.0.5/30',
  client: '198.18.0.6/30',
  nodeInet: '198.18.0.9/30',
  inet: '198.18.0.10/30',
} as const;

export const NODE_ENDPOINT_HOST = '198.18.0.2';
/** The node's end of the client link: the client's next hop to the endpoint. */
export const NODE_CLIENT_SIDE = '198.18.0.5';
export const CLIENT_UNDERLAY = '198.18.0.6';
export const INTERNET_HOST = '198.18.0.10';
export const NODE_TUNNEL_V4 = '100.64.0.0/16';
export const NODE_TUNNEL_V6 = 'fd00:70:1::/64';
export const NODE_GATEWAY_V4 = '100.64.0.1';
export const NODE_GATEWAY_V6 = 'fd00:70:1::1';
export const NODE_LISTEN_PORT = 51820;

/** A lab layout; `tag` ('' for the platform) is appended to every name. */
export function labLayout(tag = ''): LabLayout {
  if (!/^[a-z0-9]{0,4}$/.test(tag)) throw new Error(`lab tag must be 0-4 of [a-z0-9]: ${tag}`);
  const t = tag ? `-${tag}` : '';
  return {
    nodeNs: `phx-node${t}`,
    inetNs: `phx-inet${t}`,
    clientNs: `phx-client${t}`,
    iface: {
      root: `phx-root${tag}`,
      nodeUp: `phx-nup${tag}`,
      nodeInet: `phx-ninet${tag}`,
      inet: `phx-inet${tag}`,
      nodeClient: `phx-ncl${tag}`,
      client: `phx-cl${tag}`,
      wgNode: `phx-wgn${tag}`,
      wgClient: `phx-wgc${tag}`,
    },
    rootLink: tag === '',
  };
}

/** The fixed lab of `npm run platform`. */
export const PLATFORM_LAB: LabLayout = labLayout('');

function which(program: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    try {
      accessSync(`${dir}/${program}`, constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/** What this machine lacks to run a node (or a client) in a network namespace; empty when nothing. */
export function namespaceProblems(): string[] {
  const problems: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) problems.push('not root (network namespaces and WireGuard need CAP_NET_ADMIN)');
  if (!which('ip')) problems.push('`ip` (iproute2) is not installed');
  else {
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'pipe' });
    } catch (error) {
      problems.push(`\`ip netns\` is unavailable: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (!existsSync('/dev/net/tun')) problems.push('/dev/net/tun is missing (wireguard-go needs the TUN device)');
  for (const [program, pkg] of [['wireguard-go', 'wireguard-go'], ['wg', 'wireguard-tools'], ['nft', 'nftables'], ['ping', 'iputils-ping']] as const) {
    if (!which(program)) problems.push(`\`${program}\` is not installed (apt-get install ${pkg})`);
  }
  return problems;
}

const host = (): CommandRunner => new ExecFileRunner({ timeoutMs: 30_000 });

export function inNs(ns: string): CommandRunner {
  return new NetnsRunner(host(), ns);
}

export async function namespaceExists(ns: string): Promise<boolean> {
  const { stdout } = await host().run('ip', ['netns', 'list']);
  return stdout.split('\n').some((line) => line.split(' ')[0] === ns);
}

async function addNamespace(ns: string): Promise<void> {
  if (await namespaceExists(ns)) throw new Error(`network namespace ${ns} already exists (stop it first: bash tools/platform/stop.sh --services-only)`);
  await host().run('ip', ['netns', 'add', ns]);
  await inNs(ns).run('ip', ['link', 'set', 'lo', 'up']);
}

/** A veth pair `a` (in `nsA`, or the root namespace when null) ↔ `b` (in `nsB`), addressed and up. */
async function link(nsA: string | null, a: string, addrA: string, nsB: string, b: string, addrB: string): Promise<void> {
  await host().run('ip', ['link', 'add', a, ...(nsA ? ['netns', nsA] : []), 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
  const runA = nsA ? inNs(nsA) : host();
  await runA.run('ip', ['address', 'add', addrA, 'dev', a]);
  await runA.run('ip', ['link', 'set', a, 'up']);
  await inNs(nsB).run('ip', ['address', 'add', addrB, 'dev', b]);
  await inNs(nsB).run('ip', ['link', 'set', b, 'up']);
}

/**
 * Creates the node's namespace and the "internet" behind it. node-daemon then runs its wg/ip/nft
 * commands and wireguard-go in `nodeNs` (NODE_NETNS) with EGRESS_INTERFACE = `iface.nodeInet`.
 * On failure, removes what it made and rethrows.
 */
export async function createNodeLab(lab: LabLayout): Promise<void> {
  try {
    await addNamespace(lab.nodeNs);
    await addNamespace(lab.inetNs);
    if (lab.rootLink) await link(null, lab.iface.root, ADDR.root, lab.nodeNs, lab.iface.nodeUp, ADDR.nodeUp);
    // Without the root link the endpoint address lives on the node's loopback, so the client's
    // route to it is the same either way.
    else await inNs(lab.nodeNs).run('ip', ['address', 'add', `${NODE_ENDPOINT_HOST}/32`, 'dev', 'lo']);
    await link(lab.nodeNs, lab.iface.nodeInet, ADDR.nodeInet, lab.inetNs, lab.iface.inet, ADDR.inet);
  } catch (error) {
    await destroyLab(lab);
    throw error;
  }
}

/** Links the client namespace to the node (creating it) and routes the node's endpoint through that link. */
export async function createClientLink(lab: LabLayout): Promise<void> {
  await addNamespace(lab.clientNs);
  try {
    await link(lab.nodeNs, lab.iface.nodeClient, ADDR.nodeClient, lab.clientNs, lab.iface.client, ADDR.client);
    await inNs(lab.clientNs).run('ip', ['route', 'add', `${NODE_ENDPOINT_HOST}/32`, 'via', NODE_CLIENT_SIDE]);
  } catch (error) {
    await destroyNamespace(lab.clientNs);
    throw error;
  }
}

/** Pids of the processes running in `ns` (`ip netns pids`), [] when it does not exist. */
export async function pidsIn(ns: string): Promise<number[]> {
  try {
    const { stdout } = await host().run('ip', ['netns', 'pids', ns]);
    return stdout
      .split('\n')
      .map((l) => Number.parseInt(l.trim(), 10))
      .filter((n) => Number.isInteger(n) && n > 1);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, to exactly these pids. */
export async function killPids(pids: number[], graceMs = 2000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Kills the processes inside `ns` (by pid), then deletes it. Never throws. */
export async function destroyNamespace(ns: string): Promise<void> {
  try {
    if (!(await namespaceExists(ns))) return;
    await killPids(await pidsIn(ns));
    await host().run('ip', ['netns', 'delete', ns]);
  } catch {
    // best effort
  }
}

/** Removes the whole lab: client, node and internet namespaces (their veths go with them), stale wireguard-go sockets. */
export async function destroyLab(lab: LabLayout): Promise<void> {
  await destroyNamespace(lab.clientNs);
  await destroyNamespace(lab.nodeNs);
  await destroyNamespace(lab.inetNs);
  // A root-side veth whose peer namespace vanished is deleted with it; this is for a half-made lab.
  if (lab.rootLink) await host().run('ip', ['link', 'delete', lab.iface.root]).catch(() => undefined);
  // wireguard-go's control sockets are in the shared /var/run/wireguard, and a killed process leaves them.
  for (const iface of [lab.iface.wgNode, lab.iface.wgClient]) rmSync(`/var/run/wireguard/${iface}.sock`, { force: true });
}
