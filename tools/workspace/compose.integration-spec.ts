import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// No Docker engine runs here; docker-compose validates the file offline (`config -q`).
const ROOT = path.resolve(__dirname, '../..');

describe('docker-compose.yml', () => {
  it('is valid for docker-compose (needs Debian’s docker-compose; fails if it is missing)', () => {
    const run = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', cwd: ROOT });
    if (run.error) throw new Error(`docker-compose is not installed (apt-get install docker-compose): ${run.error.message}`);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('runs the four dependencies and the five services from per-app Dockerfiles', () => {
    const run = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yml'), 'config', '--services'], { encoding: 'utf8', cwd: ROOT });
    const services = run.stdout.trim().split('\n').sort();
    expect(services).toEqual(
      ['analytics-service', 'auth-service', 'clickhouse', 'config-service', 'firebase-auth', 'job-worker', 'node-daemon', 'postgres', 'redis'].sort(),
    );
    for (const app of ['auth-service', 'config-service', 'analytics-service', 'job-worker', 'node-daemon']) {
      const dockerfile = readFileSync(path.join(ROOT, 'infra/docker', `${app}.Dockerfile`), 'utf8');
      expect(dockerfile).toMatch(/^FROM .* AS build$/m);
      expect(dockerfile).toMatch(/^USER node$/m);
      expect(dockerfile).toContain('npm install --omit=dev');
    }
  });
});
