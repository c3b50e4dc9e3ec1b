import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { ENVIRONMENTS, EnvironmentName } from '../src/environments';
import { MIGRATIONS, SERVICES, SERVICE_NAMES } from '../src/services';
import { APP_UID } from '../src/workloads';
import { Rendered } from './manifests';
import { clusterOf } from './cluster-model';
import { quantity } from './quantity';

const ROOT = path.resolve(__dirname, '../../..');

/** What an app's Dockerfile says about its runtime image. */
function dockerfile(app: string) {
  const text = readFileSync(path.join(ROOT, 'infra/docker', `${app}.Dockerfile`), 'utf8');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const cmd = /^CMD (.+)$/m.exec(runtime)?.[1] ?? '';
  const scripts = [...cmd.matchAll(/dist\/apps\/[\w./-]+\.js/g)].map((m) => m[0]);
  return {
    user: /^USER (\S+)$/m.exec(runtime)?.[1],
    workdir: /^WORKDIR (\S+)$/m.exec(runtime)?.[1],
    expose: Number(/^EXPOSE (\d+)$/m.exec(runtime)?.[1]),
    envPort: Number(/^ENV .*\bPORT=(\d+)/m.exec(runtime)?.[1]),
    main: scripts.find((s) => s.endsWith('/main.js')),
    migrate: scripts.find((s) => s.endsWith('/migrate.js')),
  };
}

function checkPodSecurity(where: string, t: IPodTemplateSpec) {
  const pod = t.spec!;
  expect({ where, automount: pod.automountServiceAccountToken }).toEqual({ where, automount: false });
  expect({ where, ...pod.securityContext }).toMatchObject({ where, runAsNonRoot: true, runAsUser: APP_UID, seccompProfile: { type: 'RuntimeDefault' } });
  expect(pod.hostNetwork ?? false).toBe(false);
  expect(pod.hostPID ?? false).toBe(false);
  expect(pod.hostIPC ?? false).toBe(false);
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const sc = c.securityContext ?? {};
    expect({ where, container: c.name, ...sc }).toMatchObject({
      where,
      container: c.name,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(sc.capabilities?.add ?? []).toEqual([]);
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.runAsUser ?? pod.securityContext?.runAsUser).not.toBe(0);
    // Requests and limits of both resources, limits at or above requests.
    for (const res of ['cpu', 'memory']) {
      const req = quantity(c.resources?.requests?.[res] as string);
      const lim = quantity(c.resources?.limits?.[res] as string);
      expect(req).toBeGreaterThan(0);
      expect(lim).toBeGreaterThanOrEqual(req);
    }
    // Every writable path is a volume: nothing writes to the image.
    for (const m of c.volumeMounts ?? []) {
      const v = pod.volumes?.find((x) => x.name === m.name);
      expect(v).toBeDefined();
      if (v?.secret || v?.configMap) expect(m.readOnly).toBe(true);
    }
  }
}

describe.each(Object.keys(ENVIRONMENTS) as EnvironmentName[])('workloads of %s', (name) => {
  const env = ENVIRONMENTS[name];
  const r = new Rendered(name);

  it('run in a namespace that enforces the restricted Pod Security Standard', () => {
    expect(r.namespaces).toHaveLength(1);
    expect(r.namespaces[0].metadata.name).toBe(env.namespace);
    expect(r.namespaces[0].metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const o of r.objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe(env.namespace);
  });

  it('deploy exactly the four cluster services (node-daemon runs on the VPN servers)', () => {
    expect(r.deployments.map((d) => d.metadata.name).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it.each(SERVICE_NAMES)('%s: non-root, read-only root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, resources', (svc) => {
    checkPodSecurity(svc, r.deployment(svc).spec!.template);
  });

  it.each(SERVICE_NAMES)('%s: liveness on /health/live, readiness on /health/ready, on the port the image listens on', (svc) => {
    const d = r.deployment(svc);
    const c = d.spec!.template.spec!.containers[0];
    const df = dockerfile(svc);
    const port = c.ports!.find((p) => p.name === 'http')!.containerPort;
    expect(port).toBe(SERVICES[svc].port);
    expect(port).toBe(df.expose);
    expect(port).toBe(df.envPort);
    expect(r.configMaps.find((m) => m.metadata.name === svc)?.data?.PORT).toBe(String(port));
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(c.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    // /health/ready bounds each check to 2 s: the probe waits longer than that.
    expect(c.readinessProbe!.timeoutSeconds).toBeGreaterThan(2);
  });

  it.each(SERVICE_NAMES)('%s: runs the image’s own entry point, as its user, without the image’s migration step', (svc) => {
    const c = r.deployment(svc).spec!.template.spec!.containers[0];
    const df = dockerfile(svc);
    expect(df.user).toBe('node'); // uid 1000 in node:20-bookworm-slim
    expect(df.workdir).toBe('/app');
    expect(c.command).toEqual(['node', df.main]);
    expect(c.image).toBe(`${env.image.registry}/${svc}:${env.image.tag}`);
    expect(env.image.tag).not.toBe('latest');
  });

  it.each(SERVICE_NAMES)('%s: terminates gracefully for longer than its preStop and drain take', (svc) => {
    const spec = SERVICES[svc];
    const pod = r.deployment(svc).spec!.template.spec!;
    const c = pod.containers[0];
    const preStop = c.lifecycle?.preStop?.exec?.command;
    expect(preStop ?? null).toEqual(spec.preStopSeconds > 0 ? ['sleep', String(spec.preStopSeconds)] : null);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(spec.preStopSeconds + spec.drainSeconds);
    if (svc === 'job-worker') {
      // A running job waits up to JOBS_COMMAND_TIMEOUT_MS for its owner's reply before BullMQ's close returns.
      const timeoutSec = Number(r.configMaps.find((m) => m.metadata.name === svc)!.data!.JOBS_COMMAND_TIMEOUT_MS) / 1000;
      expect(spec.drainSeconds).toBeGreaterThanOrEqual(timeoutSec);
    }
  });

  it.each(SERVICE_NAMES)('%s: has its ServiceAccount (no token), ConfigMap, Service, HPA, PDB and NetworkPolicy', (svc) => {
    const d = r.deployment(svc);
    const pod = d.spec!.template;
    const podLabels = pod.metadata!.labels!;
    const selectorMatches = (sel: Record<string, string> | undefined) => !!sel && Object.entries(sel).every(([k, v]) => podLabels[k] === v);

    const sa = r.serviceAccounts.find((x) => x.metadata.name === pod.spec!.serviceAccountName);
    expect(sa?.automountServiceAccountToken).toBe(false);

    const cm = pod.spec!.containers[0].envFrom?.map((e) => e.configMapRef?.name);
    expect(cm).toEqual([svc]);
    expect(r.configMaps.map((m) => m.metadata.name)).toContain(svc);

    const service = r.services.find((s) => s.metadata.name === svc);
    expect(selectorMatches(service?.spec?.selector)).toBe(true);
    expect(service?.spec?.ports?.[0]).toMatchObject({ port: SERVICES[svc].port, targetPort: 'http' });
    expect(service?.spec?.type).toBe('ClusterIP');

    const hpa = r.autoscalers.find((h) => h.spec?.scaleTargetRef.name === svc);
    expect(hpa?.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: svc });
    expect(hpa!.spec!.minReplicas).toBe(d.spec!.replicas);
    expect(hpa!.spec!.maxReplicas).toBeGreaterThanOrEqual(hpa!.spec!.minReplicas!);
    expect(hpa!.spec!.metrics?.[0].resource?.name).toBe('cpu');

    const pdb = r.budgets.find((b) => selectorMatches(b.spec?.selector?.matchLabels));
    expect(pdb?.spec?.maxUnavailable).toBe(1);

    const own = r.policies.filter((p) => Object.keys(p.spec?.podSelector.matchLabels ?? {}).length > 0 && selectorMatches(p.spec?.podSelector.matchLabels));
    expect(own).toHaveLength(1);
    expect(own[0].spec?.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('mount what they mount from objects that exist or that the operator creates (README "Secrets")', () => {
    for (const d of r.deployments) {
      for (const v of d.spec!.template.spec!.volumes ?? []) {
        if (v.persistentVolumeClaim) expect(r.claims.map((c) => c.metadata.name)).toContain(v.persistentVolumeClaim.claimName);
        expect(v.emptyDir ?? v.secret ?? v.configMap ?? v.persistentVolumeClaim).toBeDefined();
      }
    }
    const jobWorker = r.deployment('job-worker').spec!.template.spec!;
    expect(jobWorker.containers[0].volumeMounts).toEqual([{ name: 'blocklist-origin', mountPath: '/var/lib/phoenix/blocklist-origin' }]);
    expect(r.claims[0].spec?.accessModes).toEqual(['ReadWriteMany']);
  });

  it('run one migration Job per database, with the owning service’s image, credentials and entry point', () => {
    expect(r.jobs.map((j) => j.metadata.name).sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
    for (const m of MIGRATIONS) {
      const job = r.jobs.find((j) => j.metadata.name === m.name)!;
      checkPodSecurity(m.name, job.spec!.template);
      const c = job.spec!.template.spec!.containers[0];
      expect(c.image).toBe(`${env.image.registry}/${m.image}:${env.image.tag}`);
      expect(c.command).toEqual(['node', dockerfile(m.image).migrate]);
      expect(c.env).toEqual([{ name: m.secretKey, valueFrom: { secretKeyRef: { name: m.image, key: m.secretKey } } }]);
      expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
      const sa = r.serviceAccounts.find((x) => x.metadata.name === job.spec!.template.spec!.serviceAccountName);
      expect(sa?.automountServiceAccountToken).toBe(false);
    }
  });

  it('isolate every pod of the namespace both ways by default', () => {
    const deny = r.policies.find((p) => p.metadata.name === 'default-deny');
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // Every workload's pods are selected by exactly one policy of their own besides it.
    const cluster = clusterOf(r, env);
    for (const p of cluster.pods.filter((x) => x.namespace === env.namespace && x.name !== 'intruder')) {
      const own = r.policies.filter((pol) => pol.metadata.name !== 'default-deny' && Object.entries(pol.spec!.podSelector.matchLabels ?? {}).every(([k, v]) => p.labels[k] === v));
      expect({ pod: p.name, policies: own.map((x) => x.metadata.name) }).toEqual({ pod: p.name, policies: [p.name] });
    }
  });
});
