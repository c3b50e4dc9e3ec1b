import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Cluster, Host, Pod, canConnect, inCidr, selects } from './policy-evaluator';

// The evaluator's own semantics, on small hand-made clusters whose answers the Kubernetes
// NetworkPolicy documentation states.

const ns = (name: string) => ({ 'kubernetes.io/metadata.name': name });
const pod = (name: string, namespace: string, labels: Record<string, string>, ip: string, ports: Pod['ports'] = [{ port: 80, protocol: 'TCP' }]): Pod => ({
  kind: 'pod',
  name,
  namespace,
  labels,
  ip,
  ports,
});

const a = pod('a', 'app', { app: 'a' }, '10.1.0.1');
const b = pod('b', 'app', { app: 'b' }, '10.1.0.2', [{ name: 'http', port: 8080, protocol: 'TCP' }]);
const db = pod('db', 'data', { role: 'db' }, '10.2.0.1', [{ port: 5432, protocol: 'TCP' }]);
const dbElsewhere = pod('db2', 'other', { role: 'db' }, '10.3.0.1', [{ port: 5432, protocol: 'TCP' }]);
const web: Host = { kind: 'host', name: 'web', ip: '198.51.100.7', ports: [{ port: 443, protocol: 'TCP' }] };

function cluster(...policies: INetworkPolicy[]): Cluster {
  return { namespaces: { app: ns('app'), data: ns('data'), other: ns('other') }, pods: [a, b, db, dbElsewhere], hosts: [web], policies };
}

const policy = (spec: INetworkPolicy['spec'], namespace = 'app'): INetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'p', namespace },
  spec,
});

const denyAll = policy({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

describe('NetworkPolicy evaluator', () => {
  it('allows everything where no policy selects the pods', () => {
    expect(canConnect(cluster(), a, db, 5432)).toBe(true);
    expect(canConnect(cluster(), a, web, 443)).toBe(true);
  });

  it('denies both ways once a default-deny policy selects every pod', () => {
    const c = cluster(denyAll);
    expect(canConnect(c, a, b, 8080)).toBe(false);
    expect(canConnect(c, a, web, 443)).toBe(false);
    // Pods of another namespace are not isolated by it.
    expect(canConnect(c, dbElsewhere, db, 5432)).toBe(true);
  });

  it('needs the egress of the source and the ingress of the destination', () => {
    const egressOnly = policy({ podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'b' } } }] }] });
    expect(canConnect(cluster(denyAll, egressOnly), a, b, 8080)).toBe(false);
    const ingress = policy({ podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } } }] }] });
    expect(canConnect(cluster(denyAll, egressOnly, ingress), a, b, 8080)).toBe(true);
    expect(canConnect(cluster(denyAll, egressOnly, ingress), b, a, 80)).toBe(false);
  });

  it('ANDs namespaceSelector and podSelector in one peer, ORs separate peers', () => {
    const and = policy({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: ns('data') }, podSelector: { matchLabels: { role: 'db' } } }] }],
    });
    expect(canConnect(cluster(and), a, db, 5432)).toBe(true);
    expect(canConnect(cluster(and), a, dbElsewhere, 5432)).toBe(false);
    const or = policy({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: ns('data') } }, { podSelector: { matchLabels: { role: 'db' } } }] }],
    });
    // The second peer (no namespaceSelector) means pods of the policy's own namespace only.
    expect(canConnect(cluster(or), a, db, 5432)).toBe(true);
    expect(canConnect(cluster(or), a, dbElsewhere, 5432)).toBe(false);
  });

  it('reads a peer without podSelector as every pod of the selected namespaces', () => {
    const p = policy({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['other'] }] } }] }] });
    expect(canConnect(cluster(p), a, dbElsewhere, 5432)).toBe(true);
    expect(canConnect(cluster(p), a, db, 5432)).toBe(false);
  });

  it('matches ports by number, range (endPort), protocol and name', () => {
    const p = policy({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        { ports: [{ protocol: 'TCP', port: 5000, endPort: 5500 }] },
        { ports: [{ port: 'http' }] },
        { ports: [{ protocol: 'UDP', port: 53 }] },
      ],
    });
    const c = cluster(p);
    expect(canConnect(c, a, db, 5432)).toBe(true);
    expect(canConnect(c, a, web, 443)).toBe(false);
    expect(canConnect(c, a, b, 8080)).toBe(true); // named port "http" of b
    expect(canConnect(c, a, web, 53, 'TCP')).toBe(false);
    expect(canConnect(c, a, web, 53, 'UDP')).toBe(true);
  });

  it('treats empty `to` as every destination and missing egress rules as none', () => {
    expect(canConnect(cluster(policy({ podSelector: {}, policyTypes: ['Egress'], egress: [{}] })), a, web, 443)).toBe(true);
    expect(canConnect(cluster(policy({ podSelector: {}, policyTypes: ['Egress'] })), a, web, 443)).toBe(false);
  });

  it('applies ipBlock with except, to hosts and (permissively) to pods', () => {
    const p = policy({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }] });
    expect(canConnect(cluster(p), a, web, 443)).toBe(true);
    expect(canConnect(cluster(p), a, db, 5432)).toBe(false);
    const wide = policy({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] });
    expect(canConnect(cluster(wide), a, db, 5432)).toBe(true);
  });

  it('defaults policyTypes to Ingress, plus Egress when egress rules are given', () => {
    const ingressOnly = policy({ podSelector: { matchLabels: { app: 'a' } }, ingress: [] });
    expect(canConnect(cluster(ingressOnly), a, web, 443)).toBe(true);
    expect(canConnect(cluster(ingressOnly), b, a, 80)).toBe(false);
  });

  it('evaluates label selector expressions and CIDRs of both families', () => {
    expect(selects({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, { y: '1' })).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['1'] }] }, { x: '1' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, { x: '' })).toBe(true);
    expect(inCidr('172.20.1.1', '172.16.0.0/12')).toBe(true);
    expect(inCidr('172.32.0.1', '172.16.0.0/12')).toBe(false);
    expect(inCidr('fd12:3456::1', 'fc00::/7')).toBe(true);
    expect(inCidr('2001:db8::1', 'fc00::/7')).toBe(false);
    expect(inCidr('2001:db8::1', '::/0')).toBe(true);
    expect(inCidr('10.0.0.1', '::/0')).toBe(false);
  });
});
