import { ENVIRONMENTS } from '../src/environments';
import { NAMESPACE_NAME } from '../src/labels';
import { DNS } from '../src/network-policies';
import { SERVICE_NAMES } from '../src/services';
import { Rendered } from './manifests';
import { quantity } from './quantity';

describe('prod against dev', () => {
  const dev = new Rendered('dev');
  const prod = new Rendered('prod');
  // The namespace itself is named per environment; everything in it is named the same.
  const ids = (r: Rendered) => r.objects.map((o) => (o.kind === 'Namespace' ? o.kind : `${o.kind}/${o.metadata.name}`)).sort();

  it('deploys the same objects in both (by kind and name)', () => {
    expect(ids(prod)).toEqual(ids(dev));
  });

  it('runs more replicas in prod: at least two of everything, and more than dev', () => {
    for (const svc of SERVICE_NAMES) {
      const d = dev.autoscalers.find((h) => h.metadata.name === svc)!.spec!;
      const p = prod.autoscalers.find((h) => h.metadata.name === svc)!.spec!;
      expect({ svc, min: p.minReplicas! >= 2 && p.minReplicas! > d.minReplicas!, max: p.maxReplicas >= d.maxReplicas && p.maxReplicas > p.minReplicas! }).toEqual({
        svc,
        min: true,
        max: true,
      });
      expect(prod.deployment(svc).spec!.replicas).toBe(p.minReplicas);
    }
  });

  it('gives prod more CPU and memory than dev, requests and limits', () => {
    for (const svc of SERVICE_NAMES) {
      const res = (r: Rendered) => r.deployment(svc).spec!.template.spec!.containers[0].resources!;
      for (const kind of ['requests', 'limits'] as const) {
        for (const what of ['cpu', 'memory']) {
          const d = quantity(res(dev)[kind]![what] as string);
          const p = quantity(res(prod)[kind]![what] as string);
          expect({ svc, kind, what, more: p > d }).toEqual({ svc, kind, what, more: true });
        }
      }
    }
  });

  it('terminates TLS at every prod listener and serves dev over plain HTTP', () => {
    expect(prod.gateways.flatMap((g) => g.spec.listeners.map((l) => l.protocol))).toEqual(Array(4).fill('HTTPS'));
    expect(dev.gateways.flatMap((g) => g.spec.listeners.map((l) => l.protocol))).toEqual(Array(4).fill('HTTP'));
    const auth = (r: Rendered) => r.configMaps.find((m) => m.metadata.name === 'auth-service')!.data!;
    expect(auth(prod).ISSUER_REQUEST_URI).toMatch(/^https:\/\//);
    expect(auth(dev).ISSUER_REQUEST_URI).toMatch(/^http:\/\//);
  });

  it("names the consumer issuer alike in auth-service (GET /token-issuers) and config-service (the TokenChallenge)", () => {
    for (const r of [dev, prod]) {
      const data = (svc: string) => r.configMaps.find((m) => m.metadata.name === svc)!.data!;
      expect(data('auth-service').TOKEN_ISSUER_NAME).toBeTruthy();
      expect(data('auth-service').TOKEN_ISSUER_NAME).toBe(data('config-service').TOKEN_ISSUER_NAME);
    }
  });

  it('spreads prod replicas over zones and hosts; dev does not', () => {
    for (const svc of SERVICE_NAMES) {
      expect(prod.deployment(svc).spec!.template.spec!.topologySpreadConstraints?.map((c) => c.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      expect(dev.deployment(svc).spec!.template.spec!.topologySpreadConstraints).toBeUndefined();
    }
  });

  it('verifies Apple notifications against the production roots in prod only, and logs less there', () => {
    const auth = (r: Rendered) => r.configMaps.find((m) => m.metadata.name === 'auth-service')!.data!;
    expect(auth(prod)).toMatchObject({ APPLE_ENVIRONMENT: 'Production', APPLE_ROOT_CERTIFICATES: '/etc/phoenix/apple-roots/AppleRootCA-G3.cer', LOG_LEVEL: 'info' });
    expect(auth(dev)).toMatchObject({ APPLE_ENVIRONMENT: 'Sandbox', LOG_LEVEL: 'debug' });
    expect(auth(dev).APPLE_ROOT_CERTIFICATES).toBeUndefined();
    const mounts = (r: Rendered) => r.deployment('auth-service').spec!.template.spec!.containers[0].volumeMounts!.map((m) => m.name);
    expect(mounts(prod)).toEqual(['firebase', 'apple-roots']);
    expect(mounts(dev)).toEqual(['firebase']);
  });

  it('keeps each environment to its own namespaces', () => {
    for (const [r, env] of [
      [dev, ENVIRONMENTS.dev],
      [prod, ENVIRONMENTS.prod],
    ] as const) {
      const own = new Set([env.namespace, env.dataNamespace, env.gatewayProxyNamespace, env.monitoringNamespace, DNS.namespace]);
      const selected = r.policies.flatMap((p) =>
        [...(p.spec?.ingress ?? []).flatMap((x) => x.from ?? []), ...(p.spec?.egress ?? []).flatMap((x) => x.to ?? [])].flatMap((peer) =>
          peer.namespaceSelector ? [peer.namespaceSelector.matchLabels?.[NAMESPACE_NAME]] : [],
        ),
      );
      for (const n of selected) expect(own).toContain(n);
      expect(new Set(r.objects.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : [])))).toEqual(new Set([env.namespace]));
    }
    expect(ENVIRONMENTS.dev.namespace).not.toBe(ENVIRONMENTS.prod.namespace);
    expect(ENVIRONMENTS.dev.dataNamespace).not.toBe(ENVIRONMENTS.prod.dataNamespace);
  });
});
