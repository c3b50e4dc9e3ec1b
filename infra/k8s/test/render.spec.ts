import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ENVIRONMENTS, EnvironmentName } from '../src/environments';
import { RENDERED_DIR, differences } from '../src/main';
import { renderEnvironment } from '../src/render';
import { KubeObject, MODELS, loadRendered, modelKey, parseYaml, validateObject } from './manifests';

describe('rendered manifests', () => {
  it('are what the generator makes now (run `npm run k8s:render` after changing infra/k8s/src)', () => {
    expect(differences()).toEqual([]);
  });

  it.each(Object.keys(ENVIRONMENTS) as EnvironmentName[])('%s: every committed object validates against its Kubernetes or Gateway API schema', (name) => {
    const invalid: string[] = [];
    const kinds = new Set<string>();
    for (const f of loadRendered(name)) {
      for (const o of f.objects) {
        kinds.add(modelKey(o));
        try {
          validateObject(o);
        } catch (e) {
          invalid.push(`${f.path} ${modelKey(o)} ${o.metadata?.name}: ${(e as Error).message}`);
        }
        expect(o.metadata.labels?.['app.kubernetes.io/part-of']).toBe('phoenix');
      }
    }
    expect(invalid).toEqual([]);
    // Every kind the deploy needs is there (and was validated above).
    expect([...kinds].sort()).toEqual(Object.keys(MODELS).sort());
  });

  it('the schema validation rejects broken objects (so the check above is not vacuous)', () => {
    const broken: KubeObject[] = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'x' },
        spec: { replicas: 'three', selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
      },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'c' }] } } } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x' }, spec: { podSelector: {}, policyTypes: ['Everything'] } },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'x' },
        spec: { podSelector: {}, egress: [{ ports: [{ protocol: 'TCP', port: true }] }] },
      },
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' } } },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: { unhealthyPodEvictionPolicy: 'Sometimes' } },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'x' },
        spec: { rules: [{ matches: [{ path: { type: 'Prefix', value: '/' } }] }] },
      },
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'x' },
        spec: { rules: [{ filters: [{ type: 'RemoveHeaders' }] }] },
      },
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'x' }, spec: { gatewayClassName: 'c', listeners: [{ name: 'l', port: 443 }] } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } },
    ];
    for (const o of broken) expect(() => validateObject(o)).toThrow();
  });

  it.each(Object.keys(ENVIRONMENTS) as EnvironmentName[])('%s: the kustomizations list every object file once and keep the migrations separate', (name) => {
    const dir = path.join(RENDERED_DIR, name);
    const resourcesOf = (k: string) => {
      const [doc] = parseYaml(readFileSync(path.join(dir, k, 'kustomization.yaml'), 'utf8'), k) as { kind: string; resources: string[] }[];
      expect(doc.kind).toBe('Kustomization');
      for (const res of doc.resources) expect(existsSync(path.join(dir, k, res))).toBe(true);
      return doc.resources;
    };
    expect(resourcesOf('.')).toEqual(['platform', 'services']);
    const files = ['platform', 'migrations', 'services'].flatMap((k) => resourcesOf(k).map((r) => `${k}/${r}`));
    const objectFiles = renderEnvironment(ENVIRONMENTS[name])
      .filter((f) => f.objects)
      .map((f) => f.path);
    expect(files.sort()).toEqual(objectFiles.sort());
  });
});
