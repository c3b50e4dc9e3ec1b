// Guards what makes this library usable in a browser: no node: module, no Buffer, no process,
// and from outside only the WebCrypto Privacy Pass implementation and @noble/*.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const stripComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
  .map((f) => ({ path: f, text: stripComments(readFileSync(join(__dirname, f), 'utf8')) }));

describe('browser-safe library', () => {
  it('imports only @cloudflare/privacypass-ts and @noble/* from outside, and uses no Node globals', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const { path, text } of files) {
      const external = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!).filter((m) => !m.startsWith('.'));
      for (const m of external) expect({ path, m, ok: m === '@cloudflare/privacypass-ts' || m.startsWith('@noble/') }).toEqual({ path, m, ok: true });
      expect({ path, node: /\bBuffer\b|\bprocess\.|\brequire\(|node:/.test(text) }).toEqual({ path, node: false });
    }
  });
});
