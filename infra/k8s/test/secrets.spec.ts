import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ENVIRONMENTS, EnvironmentName } from '../src/environments';
import { RENDERED_DIR } from '../src/main';
import { outOfGit } from '../src/render';
import { SERVICES, SERVICE_NAMES } from '../src/services';
import { Rendered, loadRendered } from './manifests';

const K8S_DIR = path.resolve(__dirname, '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' ? [] : e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

/** Literal values that look like credentials. A value taken from a variable (`$X`, `${x}`) or a `<placeholder>` is not one. */
const SECRET_PATTERNS: [string, RegExp][] = [
  ['private key block', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['Stripe key', /\b[rsp]k_(live|test)_[0-9A-Za-z]{10,}/],
  ['Stripe webhook secret', /\bwhsec_[0-9A-Za-z]{10,}/],
  ['cloud access key id', /\bAKIA[0-9A-Z]{16}\b/],
  ['password in a URL', /[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"`$<]+:[^\s/@'"`$<{][^\s/@'"`]*@/i],
  ['long hex string', /\b[0-9a-f]{40,}\b/i],
  ['long base64 string', /[A-Za-z0-9+/]{48,}={0,2}/],
];

/** The findings of the scan in a text, line by line (the ConfigMap-hash annotation is a digest, not a secret). */
function secretLooking(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.includes('phoenix.example/config-sha256:'))
    .flatMap((line) => SECRET_PATTERNS.filter(([, re]) => re.test(line)).map(([what]) => `${what}: ${line.trim().slice(0, 80)}`));
}

describe('secrets stay out of git', () => {
  it('the scanner finds the credentials it is meant to find', () => {
    // Built at run time, so that no such literal sits in git.
    const samples = [
      ['-----BEGIN', 'PRIVATE KEY-----'].join(' '),
      `${'sk'}_live_${'a1B2'.repeat(6)}`,
      `whsec_${'Z9'.repeat(10)}`,
      `redis://phoenix_network:${'hunter2'}${'hunter2'}@redis:6379`,
      'f'.repeat(64),
      'QUJD'.repeat(14),
    ];
    for (const s of samples) expect({ s, found: secretLooking(s).length > 0 }).toEqual({ s, found: true });
    for (const ok of ['postgres://phoenix_identity:<password>@identity-postgres:5432/phoenix_identity', 'printf %s "$PHOENIX_AUTH_SERVICE_REDIS_URL"', 'http://auth-service.phoenix.svc.cluster.local:3001/x']) {
      expect(secretLooking(ok)).toEqual([]);
    }
  });

  it('no file under infra/k8s holds a credential-looking literal', () => {
    const findings = filesUnder(K8S_DIR).flatMap((f) => secretLooking(readFileSync(f, 'utf8')).map((x) => `${path.relative(K8S_DIR, f)}: ${x}`));
    expect(findings).toEqual([]);
  });
});

describe.each(Object.keys(ENVIRONMENTS) as EnvironmentName[])('Secrets of %s', (name) => {
  const env = ENVIRONMENTS[name];
  const r = new Rendered(name);
  const pods = [...r.deployments.map((d) => ({ name: d.metadata.name, t: d.spec!.template })), ...r.jobs.map((j) => ({ name: j.metadata.name, t: j.spec!.template }))];
  const refs = pods.flatMap(({ name: workload, t }) =>
    t.spec!.containers.flatMap((c) => (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => ({ workload, secret: e.valueFrom!.secretKeyRef!.name!, key: e.valueFrom!.secretKeyRef!.key }))),
  );
  const listed = outOfGit(env);

  it('renders no Secret object and no secret data', () => {
    for (const f of loadRendered(name)) {
      expect(f.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      expect(f.text).not.toMatch(/^\s*stringData:/m);
    }
  });

  it('gives containers settings only from their ConfigMap and credentials only by Secret reference', () => {
    for (const { name: workload, t } of pods) {
      for (const c of t.spec!.containers) {
        for (const e of c.env ?? []) expect({ workload, env: e.name, literal: e.value }).toEqual({ workload, env: e.name, literal: undefined });
        for (const f of c.envFrom ?? []) expect(f.secretRef).toBeUndefined();
      }
    }
  });

  it('keeps every secret-bearing variable out of the ConfigMaps', () => {
    const credentialVars = new Set([...SERVICE_NAMES.flatMap((s) => SERVICES[s].secrets.map((x) => x.key))]);
    for (const cm of r.configMaps) {
      expect(Object.keys(cm.data ?? {}).filter((k) => credentialVars.has(k) || /(^|_)(PASSWORD|SECRET)(_|$)|_DATABASE_URL$|^REDIS_URL$|^CLICKHOUSE_URL$|^SMTP_URL$/.test(k))).toEqual([]);
    }
  });

  it('references only Secrets and keys that README "Secrets" and create-secrets.sh list', () => {
    const known = new Set(listed.secrets.flatMap((s) => s.keys.map((k) => `${s.name}/${k.key}`)));
    for (const ref of refs) expect(known).toContain(`${ref.secret}/${ref.key}`);
    const volumeSecrets = r.deployments.flatMap((d) => (d.spec!.template.spec!.volumes ?? []).flatMap((v) => (v.secret ? (v.secret.items ?? []).map((i) => `${v.secret!.secretName}/${i.key}`) : [])));
    for (const v of volumeSecrets) expect(known).toContain(v);

    const readme = readFileSync(path.join(K8S_DIR, 'README.md'), 'utf8');
    for (const s of listed.secrets) for (const k of s.keys) expect(readme).toMatch(new RegExp(`\\|\\s*\`${s.name}\`\\s*\\|\\s*\`${k.key.replace(/\./g, '\\.')}\``));
    for (const c of listed.configMaps) expect(readme).toContain(`\`${c.name}\``);
  });

  it('keeps identity credentials on the identity side: no network, analytics or jobs workload references them', () => {
    const identity = new Set(['auth-service', 'migrate-identity']);
    for (const ref of refs.filter((x) => !identity.has(x.workload))) {
      expect({ ...ref, identity: ref.secret.startsWith('auth-service') || ref.key.startsWith('IDENTITY_') }).toEqual({ ...ref, identity: false });
    }
    const jobWorkerKeys = refs.filter((x) => x.workload === 'job-worker').map((x) => x.key);
    expect(jobWorkerKeys.filter((k) => /DATABASE_URL|CLICKHOUSE_URL/.test(k))).toEqual([]);
    expect(refs.filter((x) => x.workload === 'analytics-service').map((x) => x.key)).not.toContain('NETWORK_DATABASE_URL');
  });

  it('has an example script that creates each listed Secret and ConfigMap without holding a value', () => {
    const script = readFileSync(path.join(RENDERED_DIR, name, 'create-secrets.sh'), 'utf8');
    const syntax = spawnSync('bash', ['-n', '-c', script], { encoding: 'utf8' });
    expect(syntax.stderr).toBe('');
    expect(syntax.status).toBe(0);
    for (const s of listed.secrets) expect(script).toContain(`create secret ${s.type === 'kubernetes.io/tls' ? 'tls' : 'generic'} ${s.name} `);
    for (const c of listed.configMaps) expect(script).toContain(`create configmap ${c.name} `);
    expect(script).not.toContain('--from-literal');
    // Every value written comes from openssl, a PHOENIX_* variable or a file one names.
    for (const line of script.split('\n').filter((l) => />\s*"\$d\//.test(l) || /cp "/.test(l))) {
      expect(line).toMatch(/openssl rand -hex 32|"\$PHOENIX_[A-Z0-9_]+"/);
    }
    expect(script).toContain(`NS=\${NS:-${env.namespace}}`);
  });
});
