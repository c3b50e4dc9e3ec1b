// Guards the library's boundary: everything outside adapters/ is pure (no IO, no ambient clock or
// randomness), and no file imports what a type:domain lib may not.
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
  it('pure modules import nothing that does IO and read no clock or ambient randomness', () => {
    const pure = files.filter((f) => !f.path.startsWith('adapters/'));
    expect(pure.length).toBeGreaterThan(10);
    for (const { path, text } of pure) {
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');
      expect({ path, external: imports.filter((i) => !i.startsWith('.')) }).toEqual({ path, external: [] });
      expect({ path, clock: /Date\.now|new Date\(|performance\.now|Math\.random|process\./.test(text) }).toEqual({ path, clock: false });
    }
  });

  it('no module imports Nest, TypeORM, Redis, BullMQ or ClickHouse', () => {
    for (const { path, text } of files) {
      expect({ path, banned: /from '(@nestjs\/|typeorm|ioredis|bullmq|@clickhouse\/client)/.test(text) }).toEqual({ path, banned: false });
    }
  });

  it('exposes the public API through the barrel', () => {
    for (const name of [
      'parseWireGuardKey', 'isValidWireGuardKey', 'WireGuardError', 'WireGuardErrorCode', 'parseCidr', 'parseIp', 'formatIp',
      'allocateRandomAddress', 'gatewayAddress', 'hostCidr', 'selectNode', 'renderClientConfig', 'parseWgDump', 'diffPeers',
      'wgSetPeerArgs', 'renderNftRuleset', 'ExecFileRunner', 'wgShowDump', 'wgApplyPeerDiff',
      'nftApply',
    ]) {
      expect(api).toHaveProperty(name);
    }
  });
});
