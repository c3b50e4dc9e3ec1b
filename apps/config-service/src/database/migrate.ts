// `npm run migrate:network`: applies the network database's pending migrations and location seeds.
import 'reflect-metadata';
import { loadConfigOrExit } from '@phoenix/common';
import { createPostgresDataSource, runMigrations } from '@phoenix/database';
import { z } from 'zod';
import { configShape } from '../config';
import { applyLocationSeeds, defaultSeedDir, readLocationSeeds } from './location-seed';
import { NETWORK_ENTITIES, NETWORK_MIGRATIONS } from './network-schema';

async function main(): Promise<void> {
  const { NETWORK_DATABASE_URL } = loadConfigOrExit('migrate:network', { NETWORK_DATABASE_URL: configShape.NETWORK_DATABASE_URL as z.ZodType<string> });
  const ds = createPostgresDataSource({ url: NETWORK_DATABASE_URL, side: 'network', entities: NETWORK_ENTITIES, migrations: NETWORK_MIGRATIONS });
  await ds.initialize();
  try {
    const applied = await runMigrations(ds);
    process.stdout.write(applied.length ? `network: applied ${applied.join(', ')}\n` : 'network: up to date\n');
    const dir = defaultSeedDir();
    if (dir) {
      const seeds = await applyLocationSeeds(ds, readLocationSeeds(dir));
      if (seeds.length) process.stdout.write(`network: applied location seeds v${seeds.join(', v')}\n`);
    }
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate:network failed: ${(e as Error).message}\n`);
  process.exit(1);
});
