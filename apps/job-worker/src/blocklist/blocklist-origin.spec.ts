import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type BlocklistManifest, buildFilter, buildManifest, manifestPublicKey, sha256Hex, verifyPublished } from '@phoenix/blocklist';

import { BlocklistOrigin, BlocklistOriginError } from './blocklist-origin';

const secretKey = Uint8Array.from(Buffer.from('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'hex'));
const publicKey = manifestPublicKey(secretKey);

/** Version v: a filter of v distinct names (so each version has its own bytes). */
function version(v: number): { manifest: BlocklistManifest; bytes: Uint8Array } {
  const domains = Array.from({ length: v }, (_, i) => `host${i}.v${v}.example.com`).sort();
  const filter = buildFilter(domains, 0.001);
  const manifest = buildManifest({
    filter,
    domains: domains.length,
    falsePositiveRate: 0.001,
    version: v,
    createdAt: '2026-11-30T00:00:00.000Z',
    source: { url: 'http://127.0.0.1/hosts', sha256: sha256Hex(Buffer.from(domains.join('\n'))) },
    secretKey,
  });
  return { manifest, bytes: filter.bytes };
}

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'phx-origin-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const listing = () => readdirSync(join(root, 'blocklist')).sort();

describe('BlocklistOrigin', () => {
  it('publishes the filter under its hash and latest.json that verifies against it', async () => {
    const origin = new BlocklistOrigin(root, 3);
    expect(await origin.latest()).toBeNull();
    const v1 = version(1);
    expect(await origin.publish(v1.manifest, v1.bytes)).toEqual({ file: v1.manifest.file, kept: [1], deleted: [] });
    expect(listing()).toEqual([`${v1.manifest.sha256}.bin`, 'latest.json', 'versions']);
    const latest = readFileSync(join(root, 'blocklist/latest.json'), 'utf8');
    const bytes = readFileSync(join(root, v1.manifest.file));
    expect(verifyPublished(latest, bytes, publicKey)).toEqual(v1.manifest);
    expect(await origin.latest()).toEqual(v1.manifest);
  });

  it('keeps the last N versions and deletes older manifests and filters', async () => {
    const origin = new BlocklistOrigin(root, 2);
    const published = [1, 2, 3, 4].map(version);
    for (const p of published) await origin.publish(p.manifest, p.bytes);
    const [, , v3, v4] = published as [unknown, unknown, { manifest: BlocklistManifest }, { manifest: BlocklistManifest }];
    expect(listing()).toEqual([`${v3.manifest.sha256}.bin`, `${v4.manifest.sha256}.bin`, 'latest.json', 'versions'].sort());
    expect(readdirSync(join(root, 'blocklist/versions')).sort()).toEqual(['3.json', '4.json']);
    expect((await origin.latest())?.version).toBe(4);
    // No temp file is left behind.
    expect(listing().some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('refuses bytes that do not match the manifest, and a version not above the published one', async () => {
    const origin = new BlocklistOrigin(root, 2);
    const v2 = version(2);
    await expect(origin.publish(v2.manifest, v2.bytes.subarray(1))).rejects.toThrow();
    expect(existsSync(join(root, 'blocklist/latest.json'))).toBe(false);
    await origin.publish(v2.manifest, v2.bytes);
    const v1 = version(1);
    await expect(origin.publish(v1.manifest, v1.bytes)).rejects.toThrow(BlocklistOriginError);
    await expect(origin.publish(v2.manifest, v2.bytes)).rejects.toThrow(BlocklistOriginError);
    expect((await origin.latest())?.version).toBe(2);
    expect(() => new BlocklistOrigin(root, 0)).toThrow(BlocklistOriginError);
  });

  it('leaves latest.json on the old version when the filter cannot be written', async () => {
    const origin = new BlocklistOrigin(root, 2);
    const v1 = version(1);
    await origin.publish(v1.manifest, v1.bytes);
    const v2 = version(2);
    // A directory where the new filter must go: renaming the filter onto it fails.
    mkdirSync(join(root, v2.manifest.file));
    await expect(origin.publish(v2.manifest, v2.bytes)).rejects.toThrow();
    const latest = (await origin.latest()) as BlocklistManifest;
    expect(latest.version).toBe(1);
    expect(verifyPublished(latest, readFileSync(join(root, latest.file)), publicKey).version).toBe(1);
  });

  it('never lets a concurrent reader see a manifest naming a missing file', async () => {
    // keep = 3: a reader between its two reads can fall behind by less than three publishes.
    const origin = new BlocklistOrigin(root, 3);
    const first = version(1);
    await origin.publish(first.manifest, first.bytes);
    let done = false;
    let reads = 0;
    const problems: string[] = [];
    const reader = (async () => {
      // Bounded: stops when publishing is done or after 200,000 reads.
      while (!done && reads < 200_000) {
        reads++;
        let manifest: BlocklistManifest;
        try {
          manifest = JSON.parse(await readFile(join(root, 'blocklist/latest.json'), 'utf8')) as BlocklistManifest;
        } catch (error) {
          problems.push(`latest.json unreadable: ${(error as Error).message}`);
          continue;
        }
        try {
          verifyPublished(manifest, await readFile(join(root, manifest.file)), publicKey);
        } catch (error) {
          problems.push(`version ${manifest.version}: ${(error as Error).message}`);
        }
      }
    })();
    for (let v = 2; v <= 40; v++) {
      const p = version(v);
      await origin.publish(p.manifest, p.bytes);
    }
    done = true;
    await reader;
    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    expect(listing().filter((n) => n.endsWith('.bin'))).toHaveLength(3);
  });

  it("sets latest.json's modification time to its version, so a web server's ETag changes with every version", async () => {
    const origin = new BlocklistOrigin(root);
    for (const v of [1_796_098_500, 1_796_098_501]) {
      const p = version(2);
      await origin.publish({ ...p.manifest, version: v }, p.bytes);
    }
    expect(statSync(join(root, 'blocklist/latest.json')).mtimeMs).toBe(1_796_098_501_000);
  });

  it('keeps the source state beside blocklist/, never in the served directory', async () => {
    const origin = new BlocklistOrigin(root);
    expect(await origin.sourceState()).toBeNull();
    const state = { url: 'http://127.0.0.1/hosts', sha256: 'a'.repeat(64), etag: '"x"', lastModified: 'Tue, 01 Dec 2026 04:15:00 GMT' };
    await origin.saveSourceState(state);
    expect(await origin.sourceState()).toEqual(state);
    expect(existsSync(join(root, 'source-state.json'))).toBe(true);
    expect(existsSync(join(root, 'blocklist'))).toBe(false);
  });
});
