// Guards the library's boundary: every module is pure (no IO, no clock, no ambient randomness),
// and the imports from outside the library are node:url's domainToASCII, a pure function (the
// WHATWG host parser's IDNA step) that domain-name.ts documents, and in manifest.ts the pure
// Ed25519, SHA-256 and RFC 8785 functions (@noble/curves, @noble/hashes, canonicalize).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import * as api from './index';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

// Comments are stripped so a TSDoc example mentioning Date.now() does not count as a use.
const stripComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const files = sources(__dirname).map((path) => ({ path: relative(__dirname, path), text: stripComments(readFileSync(path, 'utf8')) }));

describe('library boundaries', () => {
  it('imports nothing from outside but domainToASCII from node:url and the manifest pure crypto and JCS, and reads no clock or ambient randomness', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const { path, text } of files) {
      const external = [...text.matchAll(/import\s+(?:type\s+)?([^;]*?)\s+from\s+'([^']+)'/g)]
        .filter((m) => !(m[2] ?? '').startsWith('.'))
        .map((m) => `${m[1]} from ${m[2]}`);
      const allowed =
        path === 'domain-name.ts'
          ? ['{ domainToASCII } from node:url']
          : path === 'manifest.ts'
            ? ['{ ed25519 } from @noble/curves/ed25519.js', '{ sha256 } from @noble/hashes/sha2.js', '* as jcs from canonicalize']
            : [];
      expect({ path, external }).toEqual({ path, external: allowed });
      expect({ path, dynamic: /\brequire\(|\bimport\(/.test(text) }).toEqual({ path, dynamic: false });
      expect({ path, ambient: /Date\.now|new Date\(|performance\.now|Math\.random|process\.|crypto\./.test(text) }).toEqual({ path, ambient: false });
    }
  });

  it('exposes the public API through the barrel', () => {
    for (const name of [
      'parseHosts', 'normalizeDomain', 'bloomParameters', 'buildFilter', 'filterContains', 'findBlocked', 'filterFromBytes',
      'bitPositions', 'murmur3x64_128', 'BLOCKLIST_FORMAT', 'MAX_FILTER_BITS', 'BlocklistError', 'BlocklistErrorCode', 'isBlocklistError',
      'buildManifest', 'verifyManifest', 'verifyFilterFile', 'verifyPublished', 'serializeManifest', 'ManifestRejection', 'ManifestVerificationError',
    ]) {
      expect(api).toHaveProperty(name);
    }
  });
});
