import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { DATASTORES, Environment } from '../src/environments';
import { LABEL, NAMESPACE_NAME } from '../src/labels';
import { DNS, PROMETHEUS_LABELS } from '../src/network-policies';
import { SERVICES } from '../src/services';
import { Rendered } from './manifests';
import { Cluster, Host, Pod, Protocol } from './policy-evaluator';

/**
 * The rendered workloads of one environment placed in a model of the cluster around them: the
 * datastores in the data namespace (by the labels README "Datastores" asks for), cluster DNS, the
 * gateway proxies, Prometheus, hosts on the internet and on private networks, and intruders — a
 * pod of the app namespace without a policy of its own, and look-alikes of the datastores in a
 * namespace that is not the data namespace.
 */

let nextIp = 1;
const podIp = () => `10.244.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;

function pod(name: string, namespace: string, labels: Record<string, string>, ports: Pod['ports']): Pod {
  return { kind: 'pod', name, namespace, labels, ip: podIp(), ports };
}

const tcp = (port: number, name?: string) => ({ port, protocol: 'TCP' as Protocol, ...(name ? { name } : {}) });

function fromTemplate(name: string, namespace: string, t: IPodTemplateSpec): Pod {
  const ports = (t.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => ({ name: p.name, port: p.containerPort, protocol: (p.protocol ?? 'TCP') as Protocol })));
  return pod(name, namespace, { ...(t.metadata?.labels ?? {}) }, ports);
}

export const DATASTORE_PORTS: Record<string, Pod['ports']> = {
  [DATASTORES.identityPostgres.label]: [tcp(5432)],
  [DATASTORES.networkPostgres.label]: [tcp(5432)],
  [DATASTORES.redis.label]: [tcp(6379)],
  // HTTP and the native protocol.
  [DATASTORES.clickhouse.label]: [tcp(8123), tcp(9000)],
};

/** Hosts outside the cluster: public ones (documentation ranges, not in any excluded range) and private ones. */
export const HOSTS: Host[] = [
  { kind: 'host', name: 'internet-v4', ip: '203.0.113.10', ports: [tcp(443), tcp(80), tcp(465), tcp(587), tcp(5432), tcp(22)] },
  { kind: 'host', name: 'internet-v6', ip: '2001:db8::10', ports: [tcp(443), tcp(80), tcp(587)] },
  { kind: 'host', name: 'cloud-metadata', ip: '169.254.169.254', ports: [tcp(80), tcp(443)] },
  { kind: 'host', name: 'private-lan', ip: '192.168.10.20', ports: [tcp(443), tcp(5432)] },
  { kind: 'host', name: 'node-network', ip: '10.0.0.5', ports: [tcp(443), tcp(10250)] },
  { kind: 'host', name: 'ula-v6', ip: 'fd00::20', ports: [tcp(443)] },
];

export function clusterOf(rendered: Rendered, env: Environment): Cluster {
  nextIp = 1;
  const ns = env.namespace;
  const namespaces = [ns, env.dataNamespace, env.gatewayProxyNamespace, env.monitoringNamespace, DNS.namespace, 'default'];
  const pods: Pod[] = [
    ...[...rendered.deployments, ...rendered.jobs].map((w) => fromTemplate(w.metadata.name, ns, w.spec?.template ?? {})),
    // A pod someone started in the namespace by hand: no policy names it.
    pod('intruder', ns, { 'app.kubernetes.io/name': 'debug-shell' }, [tcp(8080)]),
    ...Object.values(DATASTORES).map((s) => pod(s.label, env.dataNamespace, { [LABEL.datastore]: s.label }, DATASTORE_PORTS[s.label])),
    // Look-alikes: the right labels in the wrong namespace.
    pod('fake-identity-postgres', 'default', { [LABEL.datastore]: DATASTORES.identityPostgres.label }, [tcp(5432)]),
    pod('fake-redis', 'default', { [LABEL.datastore]: DATASTORES.redis.label }, [tcp(6379)]),
    pod('kube-dns', DNS.namespace, { ...DNS.podLabels }, [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]),
    ...Object.values(SERVICES).flatMap((s) =>
      s.gateway ? [pod(`${s.gateway.name}-proxy`, env.gatewayProxyNamespace, { [LABEL.gateway]: s.gateway.name }, [tcp(8080), tcp(8443)])] : [],
    ),
    pod('prometheus', env.monitoringNamespace, { ...PROMETHEUS_LABELS }, [tcp(9090)]),
    pod('stranger', 'default', { 'app.kubernetes.io/name': 'stranger' }, [tcp(8080)]),
  ];
  return {
    namespaces: Object.fromEntries(namespaces.map((n) => [n, { [NAMESPACE_NAME]: n }])),
    pods,
    hosts: HOSTS,
    policies: rendered.policies,
  };
}
