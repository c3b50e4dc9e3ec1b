import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { LOCATION_ID } from '@phoenix/common';

const seedSchema = z.strictObject({
  version: z.number().int().positive(),
  locations: z.array(
    z.strictObject({
      id: z.string().regex(LOCATION_ID),
      country: z.string().regex(/^[A-Z]{2}$/),
      city: z.string().min(1).max(100),
    }),
  ),
});

export type LocationSeedFile = z.infer<typeof seedSchema>;

/** `infra/locations`, found by walking up from this file (works from source and from dist). */
export function defaultSeedDir(from = __dirname): string | null {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'infra', 'locations');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Reads and validates every `locations.v<N>.json` in `dir`, in version order. */
export function readLocationSeeds(dir: string): LocationSeedFile[] {
  const seeds = readdirSync(dir)
    .filter((f) => /^locations\.v\d+\.json$/.test(f))
    .map((f) => {
      const parsed = seedSchema.safeParse(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
      if (!parsed.success) throw new Error(`${f}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      if (`locations.v${parsed.data.version}.json` !== f) throw new Error(`${f}: version field is ${parsed.data.version}`);
      return parsed.data;
    });
  return seeds.sort((a, b) => a.version - b.version);
}

/**
 * Applies each seed version not applied yet, once, under an advisory lock (several replicas may
 * start together). A version upserts its locations; later admin edits are never undone by it.
 * @returns the versions applied now
 */
export async function applyLocationSeeds(ds: DataSource, seeds: LocationSeedFile[]): Promise<number[]> {
  const applied: number[] = [];
  for (const seed of seeds) {
    const done = await ds.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('phoenix.location_seed'))`);
      const claimed: unknown[] = await em.query(`INSERT INTO location_seed (version) VALUES ($1) ON CONFLICT DO NOTHING RETURNING version`, [seed.version]);
      if (claimed.length === 0) return false;
      for (const l of seed.locations) {
        await em.query(
          `INSERT INTO location (id, country, city) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET country = EXCLUDED.country, city = EXCLUDED.city, updated_at = now()`,
          [l.id, l.country, l.city],
        );
      }
      return true;
    });
    if (done) applied.push(seed.version);
  }
  return applied;
}
