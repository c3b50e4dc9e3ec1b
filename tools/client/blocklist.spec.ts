// `blocklist update` / `blocklist check` against a published directory served over HTTP on
// 127.0.0.1 (node:http in this test), built with @phoenix/blocklist from a small hosts file and a
// test key pair.
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BlocklistManifest, buildFilter, buildManifest, manifestPublicKey, parseHosts, serializeManifest, sha256Hex, signManifest } from '@phoenix/blocklist';

import { run } from './cli';

const secretKey = Uint8Array.from(Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex'));
const otherKey = Uint8Array.from(Buffer.from('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'hex'));
const publicKeyB64 = Buffer.from(manifestPublicKey(secretKey)).toString('base64');

/** A published directory: path → bytes, changed by each test. */
let files = new Map<string, Uint8Array>();
let server: Server;
let baseUrl = '';
let stateDir = '';

function publish(hosts: string, version: number, key = secretKey): { manifest: BlocklistManifest; bytes: Uint8Array } {
  const parsed = parseHosts(hosts);
  const filter = buildFilter(parsed.domains, 1e-4);
  const manifest = buildManifest({
    filter,
    domains: parsed.domains.length,
    falsePositiveRate: 1e-4,
    version,
    createdAt: `2026-11-30T00:00:0${version}.000Z`,
    source: { url: 'http://127.0.0.1/hosts', sha256: sha256Hex(Buffer.from(hosts)) },
    secretKey: key,
  });
  files.set(manifest.file, filter.bytes);
  files.set('blocklist/latest.json', Buffer.from(serializeManifest(manifest)));
  return { manifest, bytes: filter.bytes };
}

async function client(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (l) => (out += `${l}\n`), err: (l) => (err += `${l}\n`), env: { HOME: stateDir, PHOENIX_CLIENT_STATE_DIR: stateDir, PHOENIX_STACK_DIR: stateDir, PHOENIX_BLOCKLIST_URL: baseUrl, PHOENIX_BLOCKLIST_PUBLIC_KEY: publicKeyB64 } });
  return { code, out, err };
}

const V1 = '0.0.0.0 ads.example.com\n0.0.0.0 tracker.example.net\n';
const V2 = `${V1}0.0.0.0 newads.example.org\n`;

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = files.get((req.url ?? '/').slice(1));
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  files = new Map();
  stateDir = mkdtempSync(join(tmpdir(), 'phx-client-blocklist-'));
});

afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

/** The held manifest's version, and its file names. */
function held(): { version: number; files: string[] } {
  const dir = join(stateDir, 'blocklist');
  return { version: (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BlocklistManifest).version, files: readdirSync(dir).sort() };
}

describe('client blocklist commands', () => {
  it('updates from the origin, stores 0600 files, and checks names and parent domains locally', async () => {
    const v1 = publish(V1, 1);
    expect(await client('blocklist', 'check', 'ads.example.com')).toMatchObject({ code: 4, err: expect.stringContaining('blocklist update') });
    const u = await client('blocklist', 'update');
    expect(u).toMatchObject({ code: 0, out: expect.stringContaining('blocklist version 1') });
    expect(held()).toEqual({ version: 1, files: [`${v1.manifest.sha256}.bin`, 'manifest.json'] });
    for (const f of held().files) expect(statSync(join(stateDir, 'blocklist', f)).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'blocklist')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(stateDir, 'blocklist', `${v1.manifest.sha256}.bin`))).toEqual(Buffer.from(v1.bytes));

    expect(await client('blocklist', 'check', 'ads.example.com')).toMatchObject({ code: 0, out: 'ads.example.com: blocked (blocklist version 1)\n' });
    expect(await client('blocklist', 'check', 'CDN.Ads.Example.com.')).toMatchObject({ code: 0, out: 'cdn.ads.example.com: blocked (listed: ads.example.com) (blocklist version 1)\n' });
    expect(await client('blocklist', 'check', 'example.com')).toMatchObject({ code: 1, out: 'example.com: not blocked (blocklist version 1)\n' });
    expect(await client('blocklist', 'check', 'newads.example.org')).toMatchObject({ code: 1 });
    expect(await client('blocklist', 'check', 'bad name')).toMatchObject({ code: 2 });
    expect(await client('blocklist', 'check')).toMatchObject({ code: 2 });

    // A newer version replaces it; the same version again changes nothing.
    const v2 = publish(V2, 2);
    expect(await client('blocklist', 'update')).toMatchObject({ code: 0, out: expect.stringContaining('(was version 1)') });
    expect(held()).toEqual({ version: 2, files: [`${v2.manifest.sha256}.bin`, 'manifest.json'] });
    expect(await client('blocklist', 'check', 'newads.example.org')).toMatchObject({ code: 0 });
    expect(await client('blocklist', 'update')).toMatchObject({ code: 0, out: expect.stringContaining('already up to date') });
  });

  async function rejected(): Promise<string> {
    const r = await client('blocklist', 'update');
    expect(r.code).not.toBe(0);
    // The previously held filter stays, whole and usable.
    expect(held().version).toBe(1);
    expect(await client('blocklist', 'check', 'ads.example.com')).toMatchObject({ code: 0, out: expect.stringContaining('version 1') });
    expect(await client('blocklist', 'check', 'newads.example.org')).toMatchObject({ code: 1 });
    return r.err;
  }

  async function holdV1(): Promise<void> {
    publish(V1, 1);
    expect((await client('blocklist', 'update')).code).toBe(0);
  }

  it('rejects a tampered filter and keeps the held one', async () => {
    await holdV1();
    const v2 = publish(V2, 2);
    const tampered = Uint8Array.from(v2.bytes);
    tampered[0] = (tampered[0] as number) ^ 0x01;
    files.set(v2.manifest.file, tampered);
    expect(await rejected()).toContain('HASH_MISMATCH');
    files.set(v2.manifest.file, v2.bytes.subarray(1));
    expect(await rejected()).toContain('SIZE_MISMATCH');
  });

  it('rejects a tampered manifest and keeps the held one', async () => {
    await holdV1();
    const v2 = publish(V2, 2);
    files.set('blocklist/latest.json', Buffer.from(JSON.stringify({ ...v2.manifest, domains: v2.manifest.domains + 1 })));
    expect(await rejected()).toContain('BAD_SIGNATURE');
    files.set('blocklist/latest.json', Buffer.from('{"format":'));
    expect(await rejected()).toContain('MALFORMED');
  });

  it('rejects a manifest signed with another key and keeps the held one', async () => {
    await holdV1();
    publish(V2, 2, otherKey);
    expect(await rejected()).toContain('BAD_SIGNATURE');
  });

  it('rejects a version rollback (and a second filter under the held version) and keeps the held one', async () => {
    publish(V2, 5);
    expect((await client('blocklist', 'update')).code).toBe(0);
    const v5 = held();
    publish(V1, 4);
    const r = await client('blocklist', 'update');
    expect(r).toMatchObject({ code: 4, err: expect.stringContaining('ROLLBACK') });
    expect(held()).toEqual(v5);
    const { signature: _s, ...unsigned } = publish(V1, 5).manifest;
    files.set('blocklist/latest.json', Buffer.from(serializeManifest(signManifest(unsigned, secretKey))));
    expect(await client('blocklist', 'update')).toMatchObject({ code: 4, err: expect.stringContaining('ROLLBACK') });
    expect(held()).toEqual(v5);
    expect(await client('blocklist', 'check', 'newads.example.org')).toMatchObject({ code: 0 });
  });

  it('needs the URL and the key, and says when the origin has nothing', async () => {
    let err = '';
    const code = await run(['blocklist', 'update'], { out: () => undefined, err: (l) => (err += l), env: { PHOENIX_CLIENT_STATE_DIR: stateDir, PHOENIX_STACK_DIR: stateDir } });
    expect(code).toBe(2);
    expect(err).toContain('--blocklist-url');
    expect(err).toContain(join(stateDir, 'platform', 'blocklist.env'));
    expect(await client('blocklist', 'update', '--blocklist-key', 'short')).toMatchObject({ code: 2 });
    expect(await client('blocklist', 'update')).toMatchObject({ code: 1, err: expect.stringContaining('404') });
  });

  it('takes the URL and key npm run platform wrote when given neither', async () => {
    publish(V1, 1);
    mkdirSync(join(stateDir, 'platform'));
    writeFileSync(join(stateDir, 'platform', 'blocklist.env'), `# Written by tools/platform/run.sh\nPHOENIX_BLOCKLIST_URL=${baseUrl}\nPHOENIX_BLOCKLIST_PUBLIC_KEY=${publicKeyB64}\n`);
    let out = '';
    const env = { PHOENIX_CLIENT_STATE_DIR: stateDir, PHOENIX_STACK_DIR: stateDir };
    expect(await run(['blocklist', 'update'], { out: (l) => (out += l), err: () => undefined, env })).toBe(0);
    expect(out).toContain('blocklist version 1');
    // A flag or the environment still wins: a wrong key given is refused, not replaced.
    expect(await run(['blocklist', 'update', '--blocklist-key', Buffer.alloc(32, 7).toString('base64')], { out: () => undefined, err: () => undefined, env })).toBe(4);
  });
});
