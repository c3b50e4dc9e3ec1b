import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { HTTPRoute, IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import type { IGateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { Deployment, IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler, IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { IJob, Job } from 'kubernetes-models/batch/v1/Job';
import { INetworkPolicy, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { IPodDisruptionBudget, PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { INamespace, Namespace } from 'kubernetes-models/v1/Namespace';
import { IPersistentVolumeClaim, PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { IService, Service } from 'kubernetes-models/v1/Service';
import { IServiceAccount, ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { EnvironmentName } from '../src/environments';
import { RENDERED_DIR } from '../src/main';

/** Every kind the generator may render, with the model that validates it against its schema. */
export const MODELS = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
} as const;

export type ModelKey = keyof typeof MODELS;

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface LoadedFile {
  path: string;
  text: string;
  objects: KubeObject[];
}

const OBJECT_FILES = (env: EnvironmentName) => [
  'platform/namespace.yaml',
  'migrations/migrations.yaml',
  ...['auth-service', 'config-service', 'analytics-service', 'job-worker'].map((s) => `services/${s}.yaml`),
].map((f) => path.join(RENDERED_DIR, env, f));

/** Parses a multi-document YAML file, failing on any YAML error or warning. */
export function parseYaml(text: string, where: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length || doc.warnings.length) throw new Error(`${where} document ${i}: ${[...doc.errors, ...doc.warnings].map((e) => e.message).join('; ')}`);
    return doc.toJSON();
  });
}

/** The rendered object files of an environment as committed (read from disk, not from the generator). */
export function loadRendered(env: EnvironmentName): LoadedFile[] {
  return OBJECT_FILES(env).map((file) => {
    const text = readFileSync(file, 'utf8');
    return { path: path.relative(RENDERED_DIR, file), text, objects: parseYaml(text, file) as KubeObject[] };
  });
}

export function modelKey(o: KubeObject): string {
  return `${o.apiVersion}/${o.kind}`;
}

/** Builds the typed model of an object and validates it against its OpenAPI schema (throws when invalid). */
export function validateObject(o: KubeObject): void {
  const Model = MODELS[modelKey(o) as ModelKey];
  if (!Model) throw new Error(`${modelKey(o)} ${o.metadata?.name}: no schema known for this kind`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new Model(o as any).validate();
}

/** All objects of an environment, by kind. */
export class Rendered {
  readonly objects: KubeObject[];

  constructor(readonly env: EnvironmentName) {
    this.objects = loadRendered(env).flatMap((f) => f.objects);
  }

  of<T>(kind: string): (T & KubeObject)[] {
    return this.objects.filter((o) => o.kind === kind) as (T & KubeObject)[];
  }

  get deployments() {
    return this.of<IDeployment>('Deployment');
  }
  get jobs() {
    return this.of<IJob>('Job');
  }
  get services() {
    return this.of<IService>('Service');
  }
  get autoscalers() {
    return this.of<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
  }
  get budgets() {
    return this.of<IPodDisruptionBudget>('PodDisruptionBudget');
  }
  get configMaps() {
    return this.of<IConfigMap>('ConfigMap');
  }
  get serviceAccounts() {
    return this.of<IServiceAccount>('ServiceAccount');
  }
  get policies() {
    return this.of<INetworkPolicy>('NetworkPolicy');
  }
  get gateways() {
    return this.of<IGateway>('Gateway');
  }
  get routes() {
    return this.of<IHTTPRoute>('HTTPRoute');
  }
  get namespaces() {
    return this.of<INamespace>('Namespace');
  }
  get claims() {
    return this.of<IPersistentVolumeClaim>('PersistentVolumeClaim');
  }

  deployment(name: string) {
    const d = this.deployments.find((x) => x.metadata.name === name);
    if (!d) throw new Error(`no Deployment ${name} in ${this.env}`);
    return d;
  }
}
