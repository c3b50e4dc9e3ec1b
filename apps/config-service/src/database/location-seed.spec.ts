import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultSeedDir, readLocationSeeds } from './location-seed';

describe('location seeds', () => {
  it('finds and validates infra/locations/locations.v1.json', () => {
    const dir = defaultSeedDir();
    expect(dir).toMatch(/infra[/\\]locations$/);
    const [v1] = readLocationSeeds(dir!);
    expect(v1!.version).toBe(1);
    expect(v1!.locations).toContainEqual({ id: 'de-fra', country: 'DE', city: 'Frankfurt' });
    expect(new Set(v1!.locations.map((l) => l.id)).size).toBe(v1!.locations.length);
  });

  it('orders versions and refuses malformed files, naming them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seeds-'));
    writeFileSync(path.join(dir, 'locations.v2.json'), JSON.stringify({ version: 2, locations: [{ id: 'it-mil', country: 'IT', city: 'Milan' }] }));
    writeFileSync(path.join(dir, 'locations.v1.json'), JSON.stringify({ version: 1, locations: [] }));
    expect(readLocationSeeds(dir).map((s) => s.version)).toEqual([1, 2]);
    writeFileSync(path.join(dir, 'locations.v3.json'), JSON.stringify({ version: 3, locations: [{ id: 'Bad', country: 'IT', city: 'x' }] }));
    expect(() => readLocationSeeds(dir)).toThrow(/locations\.v3\.json/);
  });
});
