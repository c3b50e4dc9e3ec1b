import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';

/**
 * A small evaluator of Kubernetes NetworkPolicy (networking.k8s.io/v1) over a modelled cluster, for
 * proving the privacy walls offline. It follows the API's documented semantics:
 * - a pod is isolated for a direction once any policy of its namespace selects it with that
 *   policyType (policyTypes defaults to Ingress, plus Egress when the policy has egress rules);
 * - an isolated pod allows what the union of its policies' rules allows, nothing else;
 * - a connection needs the source's egress AND the destination's ingress to allow it;
 * - in one peer, namespaceSelector and podSelector are ANDed; separate peers are ORed; a missing
 *   podSelector means every pod of the selected namespaces, a missing namespaceSelector the
 *   policy's own namespace; an empty or missing `to`/`from` means every peer, missing `ports`
 *   every port;
 * - a named port is resolved against the destination pod's container ports; endPort makes a range.
 * Where the API leaves behaviour to the implementation (ipBlock for pod addresses), it takes the
 * permissive reading: an ipBlock also matches pods whose address falls in it, so a wall proven
 * here also holds on a plugin that applies ipBlocks to pods.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Pod {
  kind: 'pod';
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  ports: { name?: string; port: number; protocol: Protocol }[];
}

/** An address outside the cluster (no labels, no namespace, no policies of its own). */
export interface Host {
  kind: 'host';
  name: string;
  ip: string;
  ports: { port: number; protocol: Protocol }[];
}

export type Endpoint = Pod | Host;

export interface Cluster {
  /** Namespace name → its labels. */
  namespaces: Record<string, Record<string, string>>;
  pods: Pod[];
  hosts: Host[];
  policies: INetworkPolicy[];
}

export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

/** An IPv4 or IPv6 address as a number and its width in bits. */
function parseIp(ip: string): { value: bigint; bits: 32 | 128 } {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::');
    const parts = (s: string | undefined) => (s ? s.split(':') : []);
    const h = parts(head);
    const t = parts(tail);
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    if (groups.length !== 8) throw new Error(`bad IPv6 address ${ip}`);
    return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n), bits: 128 };
  }
  const octets = ip.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) throw new Error(`bad IPv4 address ${ip}`);
  return { value: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n), bits: 32 };
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, lenText] = cidr.split('/');
  const a = parseIp(ip);
  const b = parseIp(base);
  if (a.bits !== b.bits) return false;
  const len = BigInt(Number(lenText));
  const shift = BigInt(a.bits) - len;
  return a.value >> shift === b.value >> shift;
}

function peerMatches(cluster: Cluster, policyNamespace: string, peer: INetworkPolicyPeer, e: Endpoint): boolean {
  if (peer.ipBlock) {
    return inCidr(e.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((x) => inCidr(e.ip, x));
  }
  if (e.kind !== 'pod') return false;
  const nsLabels = cluster.namespaces[e.namespace] ?? {};
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels) : e.namespace === policyNamespace;
  return nsOk && selects(peer.podSelector, e.labels);
}

function portMatches(ports: INetworkPolicyPort[] | undefined, dst: Endpoint, port: number, protocol: Protocol): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') {
      if (dst.kind !== 'pod') return false;
      return dst.ports.some((c) => c.name === p.port && c.port === port && c.protocol === protocol);
    }
    return port >= p.port && port <= (p.endPort ?? p.port);
  });
}

function policyTypes(p: INetworkPolicy): string[] {
  return p.spec?.policyTypes ?? ['Ingress', ...(p.spec?.egress ? ['Egress'] : [])];
}

function policiesFor(cluster: Cluster, pod: Pod, direction: 'Ingress' | 'Egress'): INetworkPolicy[] {
  return cluster.policies.filter(
    (p) => (p.metadata?.namespace ?? 'default') === pod.namespace && policyTypes(p).includes(direction) && selects(p.spec?.podSelector, pod.labels),
  );
}

export function egressAllowed(cluster: Cluster, src: Pod, dst: Endpoint, port: number, protocol: Protocol): boolean {
  const policies = policiesFor(cluster, src, 'Egress');
  if (policies.length === 0) return true;
  return policies.some((p) =>
    (p.spec?.egress ?? []).some(
      (r) => (!r.to || r.to.length === 0 || r.to.some((peer) => peerMatches(cluster, src.namespace, peer, dst))) && portMatches(r.ports, dst, port, protocol),
    ),
  );
}

export function ingressAllowed(cluster: Cluster, src: Endpoint, dst: Pod, port: number, protocol: Protocol): boolean {
  const policies = policiesFor(cluster, dst, 'Ingress');
  if (policies.length === 0) return true;
  return policies.some((p) =>
    (p.spec?.ingress ?? []).some(
      (r) => (!r.from || r.from.length === 0 || r.from.some((peer) => peerMatches(cluster, dst.namespace, peer, src))) && portMatches(r.ports, dst, port, protocol),
    ),
  );
}

/** Whether `src` can open a connection to `dst` on `port`/`protocol` under the cluster's policies. */
export function canConnect(cluster: Cluster, src: Endpoint, dst: Endpoint, port: number, protocol: Protocol = 'TCP'): boolean {
  if (src === dst) return true;
  const out = src.kind === 'pod' ? egressAllowed(cluster, src, dst, port, protocol) : true;
  const into = dst.kind === 'pod' ? ingressAllowed(cluster, src, dst, port, protocol) : true;
  return out && into;
}

export interface Flow {
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
}

export const flowKey = (f: Flow) => `${f.from} -> ${f.to}:${f.port}/${f.protocol}`;

/**
 * Every allowed connection between the cluster's endpoints, to each destination's own ports plus
 * the extra ones given (ports nobody listens on, which a too-wide rule would still allow).
 */
export function allowedFlows(cluster: Cluster, extraPorts: number[] = []): Flow[] {
  const endpoints: Endpoint[] = [...cluster.pods, ...cluster.hosts];
  const flows = new Map<string, Flow>();
  for (const src of endpoints) {
    for (const dst of endpoints) {
      if (src === dst) continue;
      const probes = [...dst.ports.map((p) => ({ port: p.port, protocol: p.protocol })), ...extraPorts.map((port) => ({ port, protocol: 'TCP' as const }))];
      for (const { port, protocol } of probes) {
        const flow = { from: src.name, to: dst.name, port, protocol };
        if (canConnect(cluster, src, dst, port, protocol)) flows.set(flowKey(flow), flow);
      }
    }
  }
  return [...flows.values()];
}
