import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

// No Docker engine runs here; docker-compose validates the file offline (`config -q`).
const ROOT = path.resolve(__dirname, '../..');

interface ComposeService {
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  volumes?: string[];
  network_mode?: string;
  depends_on?: Record<string, unknown>;
}

function composeConfig(...args: string[]): string {
  const run = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', ...args], { encoding: 'utf8', cwd: ROOT });
  if (run.error) throw new Error(`docker-compose is not installed (apt-get install docker-compose): ${run.error.message}`);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.stdout;
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose (needs Debian’s docker-compose; fails if it is missing)', () => {
    composeConfig('-q');
  });

  it('runs the four dependencies, the five services from per-app Dockerfiles, and the gateway', () => {
    const services = composeConfig('--services').trim().split('\n').sort();
    expect(services).toEqual(
      ['analytics-service', 'auth-service', 'clickhouse', 'config-service', 'firebase-auth', 'gateway', 'job-worker', 'node-daemon', 'postgres', 'redis'].sort(),
    );
    for (const app of ['auth-service', 'config-service', 'analytics-service', 'job-worker', 'node-daemon']) {
      const dockerfile = readFileSync(path.join(ROOT, 'infra/docker', `${app}.Dockerfile`), 'utf8');
      expect(dockerfile).toMatch(/^FROM .* AS build$/m);
      expect(dockerfile).toMatch(/^USER node$/m);
      expect(dockerfile).toContain('npm install --omit=dev');
    }
  });

  describe('the gateway (the same address rules as the local stack)', () => {
    const services = () => (parse(composeConfig()) as { services: Record<string, ComposeService> }).services;

    it('is the stack’s nginx config run by its nginx.sh, in front of auth-, config- and analytics-service by name', () => {
      const gw = services().gateway!;
      expect(gw.image).toMatch(/^nginx:/);
      expect(gw.entrypoint).toEqual(['bash', '/etc/phoenix/nginx/nginx.sh', 'run', '/tmp/phoenix-nginx']);
      expect(gw.volumes).toEqual([`${path.join(ROOT, 'tools/stack/nginx')}:/etc/phoenix/nginx:ro`]);
      expect(gw.environment).toMatchObject({
        NGINX_AUTH_SERVICE: 'auth-service:3001',
        NGINX_CONFIG_SERVICE: 'config-service:3002',
        NGINX_ANALYTICS_SERVICE: 'analytics-service:3003',
      });
      expect(Object.keys(gw.depends_on ?? {}).sort()).toEqual(['analytics-service', 'auth-service', 'config-service']);
      // Each gateway port is published on loopback only.
      const env = gw.environment!;
      expect(gw.ports!.sort()).toEqual(
        [`127.0.0.1:58081:${env.NGINX_AUTH_GATEWAY_PORT}/tcp`, `127.0.0.1:58082:${env.NGINX_CONFIG_GATEWAY_PORT}/tcp`, `127.0.0.1:58083:${env.NGINX_ANALYTICS_GATEWAY_PORT}/tcp`].sort(),
      );
    });

    it('renders, from its environment, the three gateways (common rules included) and nothing else', () => {
      const env = services().gateway!.environment!;
      const dir = mkdtempSync(path.join(tmpdir(), 'phx-compose-gw-'));
      try {
        const run = spawnSync('bash', [path.join(ROOT, 'tools/stack/nginx/nginx.sh'), 'render', dir], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
        expect([run.status, run.stderr]).toEqual([0, '']);
        expect(readdirSync(path.join(dir, 'conf.d')).sort()).toEqual(['analytics-gateway.conf', 'auth-gateway.conf', 'config-gateway.conf']);
        for (const [name, port, upstream] of [
          ['auth', env.NGINX_AUTH_GATEWAY_PORT, 'auth-service:3001'],
          ['config', env.NGINX_CONFIG_GATEWAY_PORT, 'config-service:3002'],
          ['analytics', env.NGINX_ANALYTICS_GATEWAY_PORT, 'analytics-service:3003'],
        ]) {
          const conf = readFileSync(path.join(dir, 'conf.d', `${name}-gateway.conf`), 'utf8');
          expect(conf).toContain(`listen 0.0.0.0:${port};`);
          expect(conf).toContain(`server ${upstream};`);
          expect(conf).toContain(`include ${dir}/gateway/common.conf;`);
        }
        expect(readFileSync(path.join(dir, 'gateway/common.conf'), 'utf8')).toContain('proxy_set_header X-Forwarded-For "";');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('is the only way in to config-, analytics- and auth-service: they publish no port and share no host network', () => {
      const all = services();
      for (const name of ['auth-service', 'config-service', 'analytics-service']) {
        expect([name, all[name]!.ports ?? [], all[name]!.network_mode ?? 'default']).toEqual([name, [], 'default']);
      }
      // What is published at all, each on loopback only: the gateways, Bull Board (admin), the Firebase emulator.
      const published = Object.entries(all).flatMap(([name, svc]) => (svc.ports ?? []).map((p) => `${name} ${p}`));
      expect(published.sort()).toEqual(
        ['firebase-auth 127.0.0.1:9099:9099/tcp', 'gateway 127.0.0.1:58081:8081/tcp', 'gateway 127.0.0.1:58082:8082/tcp', 'gateway 127.0.0.1:58083:8083/tcp', 'job-worker 127.0.0.1:3004:3004/tcp'].sort(),
      );
      expect(Object.values(all).filter((s) => s.network_mode === 'host')).toEqual([]);
      // node-daemon talks to config-service directly (inside the compose network), as in development.
      expect(all['node-daemon']!.environment!.CONFIG_SERVICE_URL).toBe('http://config-service:3002');
    });
  });
});
