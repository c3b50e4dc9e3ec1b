import { createHash } from 'node:crypto';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { Environment, Resources } from './environments';
import { LABEL, labelsOf, selectorOf } from './labels';
import { MigrationSpec, SERVICES, ServiceSpec } from './services';

/** The `node` user of the node:20-bookworm-slim images (`USER node` in infra/docker/*.Dockerfile). */
export const APP_UID = 1000;

/** Seconds between the last expected exit of a process and the kubelet's SIGKILL. */
export const GRACE_MARGIN_SECONDS = 10;

export const MIGRATIONS_SERVICE_ACCOUNT = 'phoenix-migrations';

export function imageOf(env: Environment, service: string): string {
  return `${env.image.registry}/${service}:${env.image.tag}`;
}

/** Restricted Pod Security Standard, with the image's own non-root user pinned. */
export const podSecurityContext: IPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: APP_UID,
  runAsGroup: APP_UID,
  // Volumes (the blocklist origin) are writable by the app's group.
  fsGroup: APP_UID,
  fsGroupChangePolicy: 'OnRootMismatch',
  seccompProfile: { type: 'RuntimeDefault' },
};

export const containerSecurityContext: ISecurityContext = {
  runAsNonRoot: true,
  runAsUser: APP_UID,
  runAsGroup: APP_UID,
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export function namespace(env: Environment): Namespace {
  return new Namespace({
    metadata: {
      name: env.namespace,
      labels: {
        'app.kubernetes.io/part-of': 'phoenix',
        // Pod Security Admission refuses any pod below the restricted profile in this namespace.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/audit': 'restricted',
      },
    },
  });
}

export function serviceAccount(env: Environment, name: string, component: 'api' | 'worker' | 'migration'): ServiceAccount {
  return new ServiceAccount({
    metadata: { name, namespace: env.namespace, labels: labelsOf(name, component) },
    // No workload of Phoenix talks to the Kubernetes API.
    automountServiceAccountToken: false,
  });
}

export function settingsOf(env: Environment, spec: ServiceSpec): Record<string, string> {
  const merged = { ...spec.settings(env), ...(env.settings[spec.name] ?? {}) };
  return Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]]));
}

export function configMap(env: Environment, spec: ServiceSpec): ConfigMap {
  return new ConfigMap({
    metadata: { name: spec.name, namespace: env.namespace, labels: labelsOf(spec.name, componentOf(spec)) },
    data: settingsOf(env, spec),
  });
}

function componentOf(spec: ServiceSpec): 'api' | 'worker' {
  return spec.gateway ? 'api' : 'worker';
}

export function terminationGraceSeconds(spec: ServiceSpec): number {
  return spec.preStopSeconds + spec.drainSeconds + GRACE_MARGIN_SECONDS;
}

function resources(r: Resources) {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

function volumesOf(env: Environment, spec: ServiceSpec): { volumes: IVolume[]; mounts: IVolumeMount[] } {
  const volumes: IVolume[] = [];
  const mounts: IVolumeMount[] = [];
  for (const m of spec.mounts(env)) {
    if (m.kind === 'secret') {
      volumes.push({ name: m.name, secret: { secretName: m.secretName, defaultMode: 0o440, items: m.files.map((f) => ({ key: f.key, path: f.key })) } });
      mounts.push({ name: m.name, mountPath: m.mountPath, readOnly: true });
    } else if (m.kind === 'configMap') {
      volumes.push({ name: m.name, configMap: { name: m.configMapName, defaultMode: 0o444, items: m.files.map((f) => ({ key: f.key, path: f.key })) } });
      mounts.push({ name: m.name, mountPath: m.mountPath, readOnly: true });
    } else {
      volumes.push({ name: m.name, persistentVolumeClaim: { claimName: m.claimName } });
      mounts.push({ name: m.name, mountPath: m.mountPath });
    }
  }
  return { volumes, mounts };
}

function container(env: Environment, spec: ServiceSpec, mounts: IVolumeMount[]): IContainer {
  const scale = env.scale[spec.name];
  return {
    name: spec.name,
    image: imageOf(env, spec.name),
    imagePullPolicy: 'IfNotPresent',
    // The image's CMD also runs the migrations first; here the migration Jobs do that, once.
    command: ['node', spec.main],
    ports: [{ name: 'http', containerPort: spec.port, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: spec.name } }],
    env: spec.secrets.map((s) => ({
      name: s.key,
      valueFrom: { secretKeyRef: { name: spec.name, key: s.key, ...(s.optional ? { optional: true } : {}) } },
    })),
    resources: resources(scale.resources),
    securityContext: containerSecurityContext,
    // Start-up waits out the first connections (up to 60 s) before liveness counts.
    startupProbe: { httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
    livenessProbe: { httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    // /health/ready bounds each dependency check to 2 s.
    readinessProbe: { httpGet: { path: '/health/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
    ...(spec.preStopSeconds > 0
      ? {
          // Keep serving while the gateways learn the pod is going (endpoint removal is asynchronous),
          // then SIGTERM: Fastify stops accepting, finishes in-flight requests, Nest closes.
          lifecycle: { preStop: { exec: { command: ['sleep', String(spec.preStopSeconds)] } } },
        }
      : {}),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  };
}

export function configHash(env: Environment, spec: ServiceSpec): string {
  return createHash('sha256').update(JSON.stringify(settingsOf(env, spec))).digest('hex');
}

export function deployment(env: Environment, spec: ServiceSpec): Deployment {
  const scale = env.scale[spec.name];
  const labels = labelsOf(spec.name, componentOf(spec), spec.side);
  const { volumes, mounts } = volumesOf(env, spec);
  return new Deployment({
    metadata: { name: spec.name, namespace: env.namespace, labels },
    spec: {
      replicas: scale.minReplicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorOf(spec.name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels,
          annotations: {
            // A settings change rolls the pods (envFrom is read at start only).
            [LABEL.configHash]: configHash(env, spec),
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(spec.port),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: spec.name,
          automountServiceAccountToken: false,
          // No SERVICE_HOST/PORT variables of every Service in the namespace in the environment.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: terminationGraceSeconds(spec),
          securityContext: podSecurityContext,
          ...(env.spread
            ? {
                topologySpreadConstraints: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
                  maxSkew: 1,
                  topologyKey,
                  whenUnsatisfiable: 'ScheduleAnyway' as const,
                  labelSelector: { matchLabels: selectorOf(spec.name) },
                })),
              }
            : {}),
          containers: [container(env, spec, mounts)],
          ...(volumes.length ? { volumes } : {}),
        },
      },
    },
  });
}

export function service(env: Environment, spec: ServiceSpec): Service {
  return new Service({
    metadata: { name: spec.name, namespace: env.namespace, labels: labelsOf(spec.name, componentOf(spec), spec.side) },
    spec: {
      type: 'ClusterIP',
      selector: selectorOf(spec.name),
      ports: [{ name: 'http', port: spec.port, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }],
    },
  });
}

export function autoscaler(env: Environment, spec: ServiceSpec): HorizontalPodAutoscaler {
  const scale = env.scale[spec.name];
  return new HorizontalPodAutoscaler({
    metadata: { name: spec.name, namespace: env.namespace, labels: labelsOf(spec.name, componentOf(spec)) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
      minReplicas: scale.minReplicas,
      maxReplicas: scale.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scale.cpuTarget } } }],
      behavior: {
        // Scale up at once, down slowly: a replica leaving drains its connections.
        scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      },
    },
  });
}

export function disruptionBudget(env: Environment, spec: ServiceSpec): PodDisruptionBudget {
  return new PodDisruptionBudget({
    metadata: { name: spec.name, namespace: env.namespace, labels: labelsOf(spec.name, componentOf(spec)) },
    spec: {
      // One pod at a time whatever the replica count (minAvailable would block drains at one replica).
      maxUnavailable: 1,
      selector: { matchLabels: selectorOf(spec.name) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}

export function volumeClaims(env: Environment, spec: ServiceSpec): PersistentVolumeClaim[] {
  return spec.mounts(env).flatMap((m) =>
    m.kind === 'volume'
      ? [
          new PersistentVolumeClaim({
            metadata: { name: m.claimName, namespace: env.namespace, labels: labelsOf(spec.name, componentOf(spec), spec.side) },
            spec: {
              // Every job-worker replica may run blocklist.compile; the origin server reads it too.
              accessModes: ['ReadWriteMany'],
              storageClassName: env.blocklistOrigin.storageClassName,
              resources: { requests: { storage: env.blocklistOrigin.size } },
            },
          }),
        ]
      : [],
  );
}

/** One run of a database's migrations with the owning service's image and credentials. */
export function migrationJob(env: Environment, m: MigrationSpec): Job {
  const owner = SERVICES[m.image];
  const labels = labelsOf(m.name, 'migration', m.side);
  return new Job({
    metadata: { name: m.name, namespace: env.namespace, labels },
    spec: {
      backoffLimit: 3,
      activeDeadlineSeconds: 900,
      // Gone a day after it finished; the next deploy creates it again (README "Apply").
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: MIGRATIONS_SERVICE_ACCOUNT,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext,
          containers: [
            {
              name: 'migrate',
              image: imageOf(env, owner.name),
              imagePullPolicy: 'IfNotPresent',
              command: ['node', m.script],
              env: [{ name: m.secretKey, valueFrom: { secretKeyRef: { name: owner.name, key: m.secretKey } } }],
              resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: containerSecurityContext,
              terminationMessagePolicy: 'FallbackToLogsOnError',
            },
          ],
        },
      },
    },
  });
}
