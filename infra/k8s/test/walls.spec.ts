import { ENVIRONMENTS, EnvironmentName } from '../src/environments';
import { clusterOf } from './cluster-model';
import { Rendered } from './manifests';
import { Cluster, Endpoint, Flow, allowedFlows, canConnect, flowKey } from './policy-evaluator';

// Ports probed on every destination besides its own: a rule that is wider than it should be
// (a missing port, a wrong peer) shows up as a flow to one of these.
const PROBE_PORTS = [22, 80, 443, 465, 587, 3001, 3002, 3003, 3004, 5432, 6379, 8123, 9000, 9999];

const dns = (from: string) => [`${from} -> kube-dns:53/UDP`, `${from} -> kube-dns:53/TCP`];

/** Every connection into or out of the app namespace that the architecture allows, and nothing else. */
const EXPECTED = [
  // auth-service: identity Postgres, Redis, Firebase/Stripe/Apple (HTTPS) and SMTP submission.
  ...dns('auth-service'),
  'auth-service -> identity-postgres:5432/TCP',
  'auth-service -> redis:6379/TCP',
  ...['internet-v4', 'internet-v6'].flatMap((h) => [443, 465, 587].map((p) => `auth-service -> ${h}:${p}/TCP`)),
  // config-service: network Postgres, Redis, auth-service's issuer directory.
  ...dns('config-service'),
  'config-service -> network-postgres:5432/TCP',
  'config-service -> redis:6379/TCP',
  'config-service -> auth-service:3001/TCP',
  // analytics-service: ClickHouse and Redis.
  ...dns('analytics-service'),
  'analytics-service -> clickhouse:8123/TCP',
  'analytics-service -> redis:6379/TCP',
  // job-worker: Redis, and the blocklist source over HTTPS.
  ...dns('job-worker'),
  'job-worker -> redis:6379/TCP',
  'job-worker -> internet-v4:443/TCP',
  'job-worker -> internet-v6:443/TCP',
  // Migrations: each its own database.
  ...dns('migrate-identity'),
  'migrate-identity -> identity-postgres:5432/TCP',
  ...dns('migrate-network'),
  'migrate-network -> network-postgres:5432/TCP',
  ...dns('migrate-clickhouse'),
  'migrate-clickhouse -> clickhouse:8123/TCP',
  // In: each service from its own gateway's proxies, and Prometheus.
  'auth-gateway-proxy -> auth-service:3001/TCP',
  'config-gateway-proxy -> config-service:3002/TCP',
  'analytics-gateway-proxy -> analytics-service:3003/TCP',
  'prometheus -> auth-service:3001/TCP',
  'prometheus -> config-service:3002/TCP',
  'prometheus -> analytics-service:3003/TCP',
  'prometheus -> job-worker:3004/TCP',
].sort();

function endpoint(cluster: Cluster, name: string): Endpoint {
  const e = [...cluster.pods, ...cluster.hosts].find((x) => x.name === name);
  if (!e) throw new Error(`no endpoint ${name}`);
  return e;
}

/** Whether `from` can reach `to` on any port at all (its own ports and the probes). */
function reachesAtAll(cluster: Cluster, from: string, to: string): boolean {
  const dst = endpoint(cluster, to);
  const ports = [...dst.ports, ...PROBE_PORTS.map((port) => ({ port, protocol: 'TCP' as const }))];
  return ports.some((p) => canConnect(cluster, endpoint(cluster, from), dst, p.port, p.protocol));
}

describe.each(Object.keys(ENVIRONMENTS) as EnvironmentName[])('NetworkPolicies of %s', (name) => {
  const env = ENVIRONMENTS[name];
  const cluster = clusterOf(new Rendered(name), env);
  const inNamespace = new Set(cluster.pods.filter((p) => p.namespace === env.namespace).map((p) => p.name));
  const flows: Flow[] = allowedFlows(cluster, PROBE_PORTS).filter((f) => inNamespace.has(f.from) || inNamespace.has(f.to));

  it('allow exactly the connections the architecture allows, into and out of the namespace', () => {
    expect(flows.map(flowKey).sort()).toEqual(EXPECTED);
  });

  it('keep config-service, analytics-service, job-worker and their migrations away from identity Postgres', () => {
    for (const from of ['config-service', 'analytics-service', 'job-worker', 'migrate-network', 'migrate-clickhouse']) {
      expect({ from, reaches: reachesAtAll(cluster, from, 'identity-postgres') }).toEqual({ from, reaches: false });
    }
    const reachers = cluster.pods.filter((p) => p.namespace === env.namespace && reachesAtAll(cluster, p.name, 'identity-postgres')).map((p) => p.name);
    expect(reachers.sort()).toEqual(['auth-service', 'migrate-identity']);
  });

  it('let analytics-service reach only ClickHouse, Redis and DNS', () => {
    const targets = new Set(flows.filter((f) => f.from === 'analytics-service').map((f) => f.to));
    expect([...targets].sort()).toEqual(['clickhouse', 'kube-dns', 'redis']);
  });

  it('let config-service reach only network Postgres, Redis, auth-service and DNS', () => {
    const targets = new Set(flows.filter((f) => f.from === 'config-service').map((f) => f.to));
    expect([...targets].sort()).toEqual(['auth-service', 'kube-dns', 'network-postgres', 'redis']);
  });

  it('let job-worker reach no datastore but Redis and no service at all', () => {
    for (const to of ['identity-postgres', 'network-postgres', 'clickhouse', 'auth-service', 'config-service', 'analytics-service']) {
      expect({ to, reaches: reachesAtAll(cluster, 'job-worker', to) }).toEqual({ to, reaches: false });
    }
    expect(reachesAtAll(cluster, 'job-worker', 'redis')).toBe(true);
  });

  it('deny a pod with no policy of its own everything, both ways', () => {
    const touching = allowedFlows(cluster, PROBE_PORTS).filter((f) => f.from === 'intruder' || f.to === 'intruder');
    expect(touching).toEqual([]);
  });

  it('reach no cloud metadata endpoint, private network or node address from any workload', () => {
    for (const to of ['cloud-metadata', 'private-lan', 'node-network', 'ula-v6']) {
      expect(flows.filter((f) => f.to === to)).toEqual([]);
    }
  });

  it('reach datastores only in the data namespace (look-alike labels elsewhere do not count)', () => {
    expect(flows.filter((f) => f.to.startsWith('fake-'))).toEqual([]);
  });

  it('admit a service’s traffic only from its own gateway, never from another service’s gateway or the internet', () => {
    expect(reachesAtAll(cluster, 'auth-gateway-proxy', 'config-service')).toBe(false);
    expect(reachesAtAll(cluster, 'config-gateway-proxy', 'analytics-service')).toBe(false);
    expect(reachesAtAll(cluster, 'analytics-gateway-proxy', 'auth-service')).toBe(false);
    for (const to of ['auth-service', 'config-service', 'analytics-service', 'job-worker']) {
      expect({ to, reaches: reachesAtAll(cluster, 'internet-v4', to) }).toEqual({ to, reaches: false });
      expect({ to, reaches: reachesAtAll(cluster, 'stranger', to) }).toEqual({ to, reaches: false });
    }
  });

  it('expose job-worker to Prometheus only', () => {
    expect(flows.filter((f) => f.to === 'job-worker').map(flowKey)).toEqual(['prometheus -> job-worker:3004/TCP']);
  });
});
