// The blocklist's CDN origin as clients meet it: what BlocklistOrigin publishes, served by a real
// nginx run from the stack's own templates (tools/stack/nginx/, through nginx.sh, as
// tools/stack/start.sh does) — an instance of this suite's own, on a free port and a temp origin,
// so the stack's published blocklist is never touched.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BlocklistManifest, buildFilter, buildManifest, manifestPublicKey, sha256Hex, verifyPublished } from '@phoenix/blocklist';
import { WORKSPACE_ROOT, freeLoopbackPort } from '@phoenix/common/testing';
import { BlocklistOrigin } from './blocklist-origin';

const NGINX_SH = join(WORKSPACE_ROOT, 'tools/stack/nginx/nginx.sh');
const secretKey = Uint8Array.from(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));

function version(v: number): { manifest: BlocklistManifest; bytes: Uint8Array } {
  const domains = Array.from({ length: 50 + v }, (_, i) => `host${i}.v${v}.example.com`).sort();
  const filter = buildFilter(domains, 1e-4);
  const manifest = buildManifest({
    filter,
    domains: domains.length,
    falsePositiveRate: 1e-4,
    version: v,
    createdAt: '2026-12-01T04:15:00.000Z',
    source: { url: 'http://127.0.0.1/upstream/hosts', sha256: sha256Hex(Buffer.from(domains.join('\n'))) },
    secretKey,
  });
  return { manifest, bytes: filter.bytes };
}

describe('the blocklist origin served by nginx (tools/stack/nginx)', () => {
  let root: string;
  let dir: string;
  let origin: string;
  let base: string;
  const nginx = (...args: string[]) => execFileSync('bash', [NGINX_SH, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'phx-nginx-'));
    dir = join(root, 'nginx');
    origin = join(root, 'origin');
    mkdirSync(join(root, 'upstream'), { recursive: true });
    writeFileSync(join(root, 'upstream/hosts'), '0.0.0.0 ads.example\n');
    const port = await freeLoopbackPort();
    base = `http://127.0.0.1:${port}`;
    nginx('start', dir, String(port), origin, join(root, 'upstream'));
  });

  afterAll(() => {
    try {
      nginx('stop', dir);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('runs from the rendered templates, on loopback only, with its pid, logs and temp files in its directory', () => {
    const conf = readFileSync(join(dir, 'conf.d/blocklist-origin.conf'), 'utf8');
    expect(conf.match(/^\s*listen .*$/gm)).toEqual([expect.stringMatching(/^\s*listen 127\.0\.0\.1:\d+;$/)]);
    expect(readFileSync(join(dir, 'nginx.conf'), 'utf8')).toContain(`include ${dir}/conf.d/*.conf;`);
    const pid = readFileSync(join(dir, 'nginx.pid'), 'utf8').trim();
    expect(() => process.kill(Number(pid), 0)).not.toThrow();
    // Idempotent: a second start leaves the running nginx alone.
    nginx('start', dir, base.split(':')[2] as string, origin, join(root, 'upstream'));
    expect(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim()).toBe(pid);
  });

  it('serves latest.json (JSON, a minute) and the filter (octet-stream, immutable for a year) with ETags, and 304 to If-None-Match', async () => {
    const v1 = version(1);
    await new BlocklistOrigin(origin).publish(v1.manifest, v1.bytes);

    const latest = await fetch(`${base}/blocklist/latest.json`);
    expect(latest.status).toBe(200);
    expect(latest.headers.get('content-type')).toBe('application/json');
    expect(latest.headers.get('cache-control')).toBe('public, max-age=60');
    const latestTag = latest.headers.get('etag');
    expect(latestTag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const text = await latest.text();

    const file = await fetch(`${base}/${v1.manifest.file}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const fileTag = file.headers.get('etag');
    expect(fileTag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const bytes = new Uint8Array(await file.arrayBuffer());
    // What a client downloads verifies.
    expect(verifyPublished(text, bytes, manifestPublicKey(secretKey))).toEqual(v1.manifest);

    for (const [path, tag, cache] of [
      ['/blocklist/latest.json', latestTag, 'public, max-age=60'],
      [`/${v1.manifest.file}`, fileTag, 'public, max-age=31536000, immutable'],
    ] as const) {
      const again = await fetch(`${base}${path}`, { headers: { 'if-none-match': tag as string } });
      expect([path, again.status, again.headers.get('etag'), again.headers.get('cache-control')]).toEqual([path, 304, tag, cache]);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
    }
  });

  it('serves the next version under a new ETag while the previous filter stays', async () => {
    const before = await fetch(`${base}/blocklist/latest.json`);
    const oldTag = before.headers.get('etag') as string;
    const oldFile = (JSON.parse(await before.text()) as BlocklistManifest).file;
    const v2 = version(2);
    await new BlocklistOrigin(origin).publish(v2.manifest, v2.bytes);
    const changed = await fetch(`${base}/blocklist/latest.json`, { headers: { 'if-none-match': oldTag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(oldTag);
    expect((JSON.parse(await changed.text()) as BlocklistManifest).version).toBe(2);
    expect((await fetch(`${base}/${oldFile}`)).status).toBe(200);
  });

  it('serves nothing else of the origin directory', async () => {
    expect(existsSync(join(origin, 'blocklist/versions/1.json'))).toBe(true);
    writeFileSync(join(origin, 'source-state.json'), '{}');
    writeFileSync(join(origin, 'blocklist/notes.txt'), 'x');
    for (const path of ['/', '/blocklist/', '/blocklist/versions/1.json', '/source-state.json', '/blocklist/notes.txt', `/blocklist/${'A'.repeat(64)}.bin`]) {
      expect([path, (await fetch(`${base}${path}`)).status]).toEqual([path, 404]);
    }
  });

  it('serves the local upstream copy with an ETag, answering 304 to If-None-Match', async () => {
    const res = await fetch(`${base}/upstream/hosts`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('0.0.0.0 ads.example\n');
    const tag = res.headers.get('etag') as string;
    expect((await fetch(`${base}/upstream/hosts`, { headers: { 'if-none-match': tag } })).status).toBe(304);
  });

  it('logs no client address (privacy invariant 6)', () => {
    const access = readFileSync(join(dir, 'access.log'), 'utf8');
    expect(access).toContain('"GET /blocklist/latest.json HTTP/1.1" 304 0');
    const logs = `${access}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`;
    expect(logs.match(/\b127\.0\.0\.1\b|\b\d{1,3}(\.\d{1,3}){3}\b/g)).toBeNull();
  });

  it('is what the stack runs at BLOCKLIST_PUBLIC_URL', async () => {
    const url = process.env.BLOCKLIST_PUBLIC_URL;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/blocklist/versions/`);
    expect([res.status, res.headers.get('server')]).toEqual([404, 'nginx']);
    expect(process.env.BLOCKLIST_ORIGIN_DIR).toMatch(/\/blocklist-origin$/);
  });
});
