import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import { DATASTORES, Environment } from './environments';
import { LABEL, labelsOf, namespaceSelector, selectorOf } from './labels';
import { Egress, MigrationSpec, SERVICES, ServiceSpec } from './services';

/**
 * Address ranges that are never "the internet" for an egress rule: private (RFC 1918), shared
 * (RFC 6598, also the VPN tunnels), link-local (cloud metadata endpoints), loopback, unique-local
 * and link-local IPv6. Pod, service and node addresses of a cluster fall in these, so an internet
 * rule can never reach a datastore or another pod.
 */
export const NON_PUBLIC_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '0.0.0.0/8'];
export const NON_PUBLIC_V6 = ['fc00::/7', 'fe80::/10', '::1/128', '::ffff:0:0/96'];

/** Where cluster DNS runs (the kube-dns Service's pods, also CoreDNS's label). */
export const DNS = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' }, port: 53 };

/** Prometheus pods (README "Metrics"): `app.kubernetes.io/name=prometheus` in the monitoring namespace. */
export const PROMETHEUS_LABELS = { 'app.kubernetes.io/name': 'prometheus' };

export function defaultDeny(env: Environment): NetworkPolicy {
  return new NetworkPolicy({
    metadata: {
      name: 'default-deny',
      namespace: env.namespace,
      labels: labelsOf('default-deny', 'platform'),
      annotations: { [LABEL.egress]: 'nothing: every pod of the namespace is isolated both ways until a policy of its own allows something' },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
}

function dnsRule(): INetworkPolicyEgressRule {
  return {
    to: [{ namespaceSelector: namespaceSelector(DNS.namespace), podSelector: { matchLabels: DNS.podLabels } }],
    ports: [
      { protocol: 'UDP', port: DNS.port },
      { protocol: 'TCP', port: DNS.port },
    ],
  };
}

function egressRule(env: Environment, e: Egress): INetworkPolicyEgressRule {
  switch (e.kind) {
    case 'datastore': {
      const store = DATASTORES[e.store];
      return {
        to: [{ namespaceSelector: namespaceSelector(env.dataNamespace), podSelector: { matchLabels: { [LABEL.datastore]: store.label } } }],
        ports: [{ protocol: 'TCP', port: store.port }],
      };
    }
    case 'service':
      return { to: [{ podSelector: { matchLabels: selectorOf(e.service) } }], ports: [{ protocol: 'TCP', port: SERVICES[e.service].port }] };
    case 'internet':
      return {
        to: [{ ipBlock: { cidr: '0.0.0.0/0', except: NON_PUBLIC_V4 } }, { ipBlock: { cidr: '::/0', except: NON_PUBLIC_V6 } }],
        ports: e.ports.map((port) => ({ protocol: 'TCP' as const, port })),
      };
  }
}

function describe(e: Egress): string {
  switch (e.kind) {
    case 'datastore':
      return DATASTORES[e.store].label;
    case 'service':
      return `${e.service}:${SERVICES[e.service].port}`;
    case 'internet':
      return `internet tcp/${e.ports.join(',')} (${e.why})`;
  }
}

/** Who may open connections to a service: its gateway's proxies, its in-namespace callers, Prometheus. */
function ingressRules(env: Environment, spec: ServiceSpec): INetworkPolicyIngressRule[] {
  const port = [{ protocol: 'TCP' as const, port: spec.port }];
  const rules: INetworkPolicyIngressRule[] = [];
  if (spec.gateway) {
    rules.push({
      from: [{ namespaceSelector: namespaceSelector(env.gatewayProxyNamespace), podSelector: { matchLabels: { [LABEL.gateway]: spec.gateway.name } } }],
      ports: port,
    });
  }
  if (spec.callers.length) {
    rules.push({ from: spec.callers.map((c) => ({ podSelector: { matchLabels: selectorOf(c) } })), ports: port });
  }
  rules.push({
    from: [{ namespaceSelector: namespaceSelector(env.monitoringNamespace), podSelector: { matchLabels: PROMETHEUS_LABELS } }],
    ports: port,
  });
  return rules;
}

export function servicePolicy(env: Environment, spec: ServiceSpec): NetworkPolicy {
  return new NetworkPolicy({
    metadata: {
      name: spec.name,
      namespace: env.namespace,
      labels: labelsOf(spec.name, spec.gateway ? 'api' : 'worker', spec.side),
      annotations: { [LABEL.egress]: ['dns', ...spec.egress.map(describe)].join('; ') },
    },
    spec: {
      podSelector: { matchLabels: selectorOf(spec.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingressRules(env, spec),
      egress: [dnsRule(), ...spec.egress.map((e) => egressRule(env, e))],
    },
  });
}

/** A migration Job reaches its own database and DNS; nothing reaches it. */
export function migrationPolicy(env: Environment, m: MigrationSpec): NetworkPolicy {
  const egress: Egress = { kind: 'datastore', store: m.store };
  return new NetworkPolicy({
    metadata: {
      name: m.name,
      namespace: env.namespace,
      labels: labelsOf(m.name, 'migration', m.side),
      annotations: { [LABEL.egress]: ['dns', describe(egress)].join('; ') },
    },
    spec: {
      podSelector: { matchLabels: selectorOf(m.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [dnsRule(), egressRule(env, egress)],
    },
  });
}
